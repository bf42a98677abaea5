"""Importing REFI-QDA projects and codebooks: the ATLAS.ti samples, hierarchies, offsets, and refused input."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from cases.models import AttributeDefinition, AuditEvent, Informant, Study
from interviews.models import Code, Excerpt, Memo, Source
from interviews.refi.archive import MAX_ENTRIES, RefiFileError
from interviews.refi.importer import import_preview, qdc_import, qdc_preview, qdpx_import, qdpx_import_new_study
from interviews.refi.reader import read_codebook, read_project
from interviews.selectors_codebook import code_paths
from tests.interviews.refi_helpers import FIXTURES, project, qdpx

pytestmark = pytest.mark.django_db

G = [f"00000000-0000-4000-8000-{n:012d}" for n in range(40)]
TEXT = "I1: Vi fikk ideer fra de ansatte.\nI2: Ledelsen lyttet ikke.\n"


def _paths(study) -> set[str]:
    return set(code_paths(Code.objects.filter(study=study)).values())


@pytest.mark.parametrize("name", ["blank-atlas-project.qdpx", "target-atlas-project.qdpx"])
def test_the_atlas_ti_samples_import_without_error(researcher, name):
    with open(FIXTURES / name, "rb") as stream:
        parsed = read_project(stream)
    assert import_preview(study=None, project=parsed).is_valid
    result = qdpx_import_new_study(owner=researcher, project=parsed)
    assert result.study.title == name.removesuffix(".qdpx")
    if name.startswith("target"):
        assert _paths(result.study) == {
            "Commits",
            "Commits > 2022-05-10T02:05:59Z 19e4dce",
            "Commits > 2022-02-11T10:39:25Z cdbfd92",
        }
    assert AuditEvent.objects.filter(study=result.study, action="study.imported").count() == 1


def _full_project() -> io.BytesIO:
    body = f"""
    <CodeBook><Codes>
      <Code guid="{G[1]}" name="Ledelse::Lytting" isCodable="true" color="#F00"><Description>Om å bli hørt</Description></Code>
      <Code guid="{G[2]}" name="Ideer" isCodable="true"><Code guid="{G[3]}" name="Fra ansatte" isCodable="true"/></Code>
    </Codes></CodeBook>
    <Variables>
      <Variable guid="{G[4]}" name="Alder" typeOfVariable="Integer"/>
      <Variable guid="{G[5]}" name="Group" typeOfVariable="Text"/>
    </Variables>
    <Cases>
      <Case guid="{G[6]}" name="I1"><VariableValue><VariableRef targetGUID="{G[4]}"/><IntegerValue>44</IntegerValue></VariableValue>
        <VariableValue><VariableRef targetGUID="{G[5]}"/><TextValue>Arbeidsgiver</TextValue></VariableValue></Case>
      <Case guid="{G[7]}" name="I2"/>
    </Cases>
    <Sources>
      <TextSource guid="{G[8]}" name="Intervju 1" plainTextPath="internal://{G[9]}.txt">
        <PlainTextSelection guid="{G[10]}" startPosition="4" endPosition="33">
          <Coding guid="{G[11]}"><CodeRef targetGUID="{G[3]}"/></Coding>
          <NoteRef targetGUID="{G[12]}"/>
        </PlainTextSelection>
        <PlainTextSelection guid="{G[13]}" startPosition="39" endPosition="60">
          <Coding guid="{G[14]}"><CodeRef targetGUID="{G[1]}"/></Coding>
        </PlainTextSelection>
        <NoteRef targetGUID="{G[15]}"/>
      </TextSource>
      <PictureSource guid="{G[16]}" name="Tavle" path="internal://{G[17]}.jpg"/>
      <AudioSource guid="{G[18]}" name="Opptak"><AudioSelection guid="{G[19]}" begin="0" end="10"/></AudioSource>
    </Sources>
    <Notes>
      <Note guid="{G[12]}" name="Notat"><PlainTextContent>Viktig sitat.

Flags: deviant finding</PlainTextContent></Note>
      <Note guid="{G[15]}" name="Om intervjuet"><PlainTextContent>Kort intervju.</PlainTextContent></Note>
      <Note guid="{G[20]}" name="Prosjekt"><PlainTextContent>Et prosjektnotat.</PlainTextContent></Note>
    </Notes>
    <Sets><Set guid="{G[21]}" name="Sett"/></Sets>"""
    return qdpx(project(body), {f"sources/{G[9]}.txt": ("\ufeff" + TEXT.replace("\n", "\r\n")).encode("utf-8")})


def test_a_project_becomes_codes_sources_excerpts_informants_and_memos(study, researcher):
    parsed = read_project(_full_project())
    preview = import_preview(study=study, project=parsed)
    assert preview.is_valid, preview.errors
    assert sorted(preview.new_codes) == ["Ideer", "Ideer > Fra ansatte", "Ledelse", "Ledelse > Lytting"]
    assert preview.new_informants == ["I1", "I2"]
    assert any("picture" in line for line in preview.skipped)
    assert any("audio" in line and "1 selections" in line for line in preview.skipped)
    assert any("Sets" in line for line in preview.skipped)

    qdpx_import(study=study, actor=researcher, project=parsed)

    assert _paths(study) == {"Ideer", "Ideer > Fra ansatte", "Ledelse", "Ledelse > Lytting"}
    lytting = Code.objects.get(study=study, name="Lytting")
    assert (lytting.colour, lytting.description) == ("#ff0000", "Om å bli hørt")
    source = Source.objects.get(study=study)
    assert source.text == TEXT  # CR LF became LF, the BOM is gone
    excerpts = {e.text: e for e in Excerpt.objects.filter(study=study).prefetch_related("codes", "speakers")}
    # The CR LF pairs before the second selection are one character each now: its offsets moved with its words.
    assert set(excerpts) == {"Vi fikk ideer fra de ansatte.", "Ledelsen lyttet ikke."}
    first = excerpts["Vi fikk ideer fra de ansatte."]
    assert [c.name for c in first.codes.all()] == ["Fra ansatte"]
    assert first.memo == "Viktig sitat." and first.is_deviant
    assert [i.code for i in first.speakers.all()] == ["I1"]
    i1 = Informant.objects.get(study=study, code="I1")
    assert i1.group.label == "Arbeidsgiver"
    age = AttributeDefinition.objects.get(study=study, name="Alder")
    assert age.kind == AttributeDefinition.Kind.NUMBER
    assert i1.attribute_values.get(definition=age).value_number == 44
    assert Memo.objects.get(study=study, source=source).text == "Kort intervju."
    assert Memo.objects.get(study=study, source=None, code=None).title == "Prosjekt"


def test_importing_twice_reuses_codes_and_informants(study, researcher):
    qdpx_import(study=study, actor=researcher, project=read_project(_full_project()))
    preview = import_preview(study=study, project=read_project(_full_project()))
    assert preview.new_codes == [] and preview.new_informants == []
    assert preview.existing_informants == ["I1", "I2"]
    qdpx_import(study=study, actor=researcher, project=read_project(_full_project()))
    assert Code.objects.filter(study=study).count() == 4
    assert Informant.objects.filter(study=study).count() == 2
    assert Source.objects.filter(study=study).count() == 2


def _refused(stream: io.BytesIO, fragment: str) -> None:
    studies, codes = Study.objects.count(), Code.objects.count()
    with pytest.raises(RefiFileError) as error:
        read_project(stream)
    assert fragment in str(error.value)
    assert (Study.objects.count(), Code.objects.count()) == (studies, codes)


def test_a_file_that_is_not_a_zip_is_refused(researcher):
    _refused(io.BytesIO(b"%PDF-1.7 not a zip"), "not a zip archive")


def test_a_zip_without_project_qde_is_refused(researcher):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    out.seek(0)
    _refused(out, "no project.qde")


def test_a_selection_beyond_the_end_of_its_source_is_refused(researcher):
    body = f"""<Sources><TextSource guid="{G[1]}" name="Kort"><PlainTextContent>Fem ord her og der</PlainTextContent>
      <PlainTextSelection guid="{G[2]}" startPosition="5" endPosition="500"/></TextSource></Sources>"""
    _refused(qdpx(project(body)), "beyond the end of its text")


def test_an_xml_bomb_is_refused(researcher):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>'
    )
    _refused(qdpx(bomb), "declares a DTD or entities")


def test_an_external_entity_is_refused(researcher):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
    )
    _refused(qdpx(xxe), "declares a DTD or entities")


@pytest.mark.parametrize(
    "name", ["../evil.txt", "sources/../../evil.txt", "/etc/passwd", "C:/evil.txt", "..\\evil.txt"]
)
def test_a_path_traversal_name_inside_the_zip_is_refused(researcher, name):
    _refused(qdpx(project(""), {name: b"x"}), "points outside the archive")


def test_a_source_path_that_climbs_out_of_the_sources_folder_is_refused(researcher):
    body = f'<Sources><TextSource guid="{G[1]}" name="Ut" plainTextPath="internal://../project.qde"/></Sources>'
    _refused(qdpx(project(body)), "outside the archive's sources folder")


def test_a_zip_bomb_is_refused(researcher, monkeypatch):
    monkeypatch.setattr("interviews.refi.archive.MAX_UNPACKED_BYTES", 100_000)
    body = f'<Sources><TextSource guid="{G[1]}" name="Stor" plainTextPath="internal://{G[2]}.txt"/></Sources>'
    _refused(qdpx(project(body), {f"sources/{G[2]}.txt": b"a" * 200_000}), "possible zip bomb")


def test_too_many_entries_are_refused(researcher):
    files = {f"sources/{n}.txt": b"" for n in range(MAX_ENTRIES + 1)}
    _refused(qdpx(project(""), files), "more than")


def test_malformed_xml_is_refused(researcher):
    _refused(qdpx("<Project name='x'><Users>"), "not well-formed XML")


def test_a_case_matching_a_withdrawn_informant_is_refused_and_nothing_written(study, researcher):
    Informant.objects.create(study=study, code="I1", status=Informant.Status.WITHDRAWN)
    parsed = read_project(_full_project())
    with pytest.raises(ValidationError):
        qdpx_import(study=study, actor=researcher, project=parsed)
    assert not Code.objects.filter(study=study).exists()
    assert not Source.objects.filter(study=study).exists()


def test_a_codebook_merges_by_name(study, researcher):
    Code.objects.create(study=study, name="Ideer", created_by=researcher)
    data = f"""<?xml version="1.0" encoding="UTF-8"?>
    <CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
      <Code guid="{G[1]}" name="Ideer" isCodable="true" color="#00ff00"><Description>Forslag</Description>
        <Code guid="{G[2]}" name="Nye" isCodable="true"/></Code>
      <Code guid="{G[3]}" name="Tid::Tidspress" isCodable="true"/>
    </Codes></CodeBook>""".encode()
    parsed = read_codebook(data)
    preview = qdc_preview(study=study, project=parsed)
    assert preview.existing_codes == ["Ideer"]
    assert preview.definitions_filled == ["Ideer"]
    assert sorted(preview.new_codes) == ["Ideer > Nye", "Tid", "Tid > Tidspress"]
    created, filled = qdc_import(study=study, actor=researcher, project=parsed)
    assert (created, filled) == (3, 1)
    assert _paths(study) == {"Ideer", "Ideer > Nye", "Tid", "Tid > Tidspress"}
    assert Code.objects.get(study=study, name="Ideer").description == "Forslag"


def test_the_command_imports_a_project_into_a_new_study(researcher, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("import_qdpx", str(FIXTURES / "target-atlas-project.qdpx"), "--owner", researcher.email, stdout=out)
    assert "3 new codes" in out.getvalue()
    study = Study.objects.get(title="target-atlas-project")
    assert Code.objects.filter(study=study).count() == 3

    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="not a zip archive"):
        call_command("import_qdpx", str(bad), "--owner", researcher.email, stdout=out)
    with pytest.raises(CommandError, match="No user"):
        call_command("import_qdpx", str(bad), "--owner", "nobody@example.org", stdout=out)
