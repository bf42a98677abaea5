"""The Exchange page: downloads for every member, imports with preview and confirm for the researchers."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cases.models import AuditEvent, Informant, Membership, Study
from interviews.importers import ImportedText
from interviews.models import Code, Excerpt, Source
from interviews.refi.exporter import codebook_qdc
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from interviews.services.sources import source_create
from tests.factories import ConsentRecordFactory, InformantFactory, InformantGroupFactory, SessionFactory
from tests.interviews.refi_helpers import FIXTURES, assert_valid, project, qdpx

pytestmark = pytest.mark.django_db

TEXT = "I1: =SUM(A1) sa hun, og vi lo.\nI2: Jeg sier nei til sitater.\n"


@pytest.fixture
def coded(study, researcher):
    group = InformantGroupFactory(study=study, label="Tillitsvalgt")
    consenting = InformantFactory(study=study, code="I1", group=group)
    ConsentRecordFactory(informant=consenting)
    silent = InformantFactory(study=study, code="I2", group=group)
    ConsentRecordFactory(informant=silent, covers_quotes=False)
    parent = code_create(study=study, actor=researcher, name="Humor", colour="#aa0000", description="Latter")
    child = code_create(study=study, actor=researcher, name="Ironi", parent=parent)
    source = source_create(
        study=study, actor=researcher, imported=ImportedText(text=TEXT, format="paste"), title="Intervju 1"
    )
    start = TEXT.index("=SUM")
    excerpt_create(source=source, actor=researcher, start=start, end=start + 8, text="=SUM(A1)", code_ids=[child.pk])
    start = TEXT.index("Jeg sier")
    end = TEXT.index(".\n", start)
    excerpt_create(source=source, actor=researcher, start=start, end=end, text=TEXT[start:end], code_ids=[parent.pk])
    return study


def test_the_page_shows_what_the_export_leaves_out_and_is_in_the_navigation(coded, supervisor_client):
    response = supervisor_client.get(reverse("exchange", args=[coded.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("exchange", args=[coded.pk]) in page
    assert "I2 gave no consent to quotes" in page
    assert "key list" in page
    assert 'enctype="multipart/form-data"' not in page  # a supervisor does not import


def test_every_member_downloads_a_valid_project(coded, supervisor_client):
    response = supervisor_client.get(reverse("exchange_export_qdpx", args=[coded.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        xml = archive.read("project.qde")
    assert_valid(xml)
    assert b"Jeg sier nei" not in xml and b'name="I2"' not in xml
    assert AuditEvent.objects.filter(study=coded, action="study.exported", data__format="qdpx").exists()


def test_the_codebook_downloads_as_a_valid_qdc(coded, researcher_client):
    response = researcher_client.get(reverse("exchange_export_qdc", args=[coded.pk]))
    assert response.status_code == 200
    assert_valid(response.content, "Codebook.xsd")
    assert b'name="Ironi"' in response.content


def test_the_excerpt_spreadsheets_leave_out_excluded_informants_and_keep_formulas_as_text(coded, researcher_client):
    response = researcher_client.get(reverse("exchange_excerpts_csv", args=[coded.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Humor > Ironi" in text and "=SUM(A1)" in text
    assert "Jeg sier nei" not in text
    assert "1 excerpt left out" in text

    response = researcher_client.get(reverse("exchange_excerpts_xlsx", args=[coded.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["Code path", "Excerpt", "Source", "Session", "Informant code"]
    assert rows[1][:2] == ["Humor > Ironi", "=SUM(A1)"]
    assert rows[1][2:5] == ["Intervju 1", None, "I1"]  # source, no session, the speaker
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert rows[-1][0].startswith("1 excerpt left out")


def test_the_excerpt_csv_names_the_sources_version_and_session(coded, researcher_client):
    source = Source.objects.get(study=coded)
    session = SessionFactory(study=coded, code="FG2")
    Source.objects.filter(pk=source.pk).update(version=2, session=session)
    response = researcher_client.get(reverse("exchange_excerpts_csv", args=[coded.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][2:4] == ["Intervju 1 (v2)", "FG2"]
    assert str(Source.objects.get(pk=source.pk)) == "Intervju 1 (v2)"


def test_the_codebook_and_matrix_workbooks(coded, researcher_client):
    response = researcher_client.get(reverse("exchange_codebook_xlsx", args=[coded.pk]))
    rows = [
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows()
    ]
    assert [row[0] for row in rows[1:]] == ["Humor", "Humor > Ironi"]
    response = researcher_client.get(reverse("exchange_matrix_xlsx", args=[coded.pk]))
    rows = [
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows()
    ]
    assert rows[0][:3] == ["Code", "Tillitsvalgt: excerpts", "Tillitsvalgt: informants"]
    by_code = {row[0]: row for row in rows[1:] if row and row[0]}
    assert by_code["Humor > Ironi"][1:3] == [1, 1]
    assert by_code["Humor"][1:3] == [0, 0]  # I2's excerpt is left out


def test_the_matrix_workbook_cell_by_cell(coded, researcher, researcher_client):
    """Every cell, its type and style, as the workbook was before it was written from light rows: unchanged."""
    group = InformantGroupFactory(study=coded, label="=Leder")
    speaker = InformantFactory(study=coded, code="L1", group=group)
    ConsentRecordFactory(informant=speaker)
    source = Source.objects.get(study=coded)
    start = TEXT.index("og vi lo")
    excerpt = excerpt_create(
        source=source,
        actor=researcher,
        start=start,
        end=start + 8,
        text="og vi lo",
        code_ids=list(Code.objects.filter(study=coded).values_list("pk", flat=True)),
    )
    excerpt.speakers.set([speaker, Informant.objects.get(study=coded, code="I1")])
    response = researcher_client.get(reverse("exchange_matrix_xlsx", args=[coded.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.title == "Codes by group" and sheet.freeze_panes == "A2"
    cells = [[(c.value, c.data_type, bool(c.font.b)) for c in row] for row in sheet.iter_rows()]
    header = [
        "Code",
        "=Leder: excerpts",
        "=Leder: informants",
        "Tillitsvalgt: excerpts",
        "Tillitsvalgt: informants",
        "No group: excerpts",
        "No group: informants",
        "Total: excerpts",
        "Total: informants",
    ]
    assert cells[0] == [(label, "s", True) for label in header]
    numbers = [
        [(value, "n", False) for value in values] for values in ([1, 1, 1, 1, 0, 0, 1, 2], [1, 1, 2, 1, 0, 0, 2, 2])
    ]
    assert cells[1:3] == [[("Humor", "s", False), *numbers[0]], [("Humor > Ironi", "s", False), *numbers[1]]]
    assert [value for value, *_ in cells[3]] == [None] * 9
    assert cells[4][0][0].startswith("1 excerpt left out") and cells[4][0][1:] == ("s", True)
    assert len(cells) == 5


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_import_previews_then_confirms(study, researcher_client):
    url = reverse("exchange_import", args=[study.pk])
    data = (FIXTURES / "target-atlas-project.qdpx").read_bytes()
    response = researcher_client.post(url, {"file": _upload("target.qdpx", data)})
    assert response.status_code == 200
    assert "Commits" in response.content.decode()
    assert not Code.objects.filter(study=study).exists()
    response = researcher_client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    assert Code.objects.filter(study=study).count() == 3
    # The pending file is gone: a second confirm does nothing.
    response = researcher_client.post(url, {"confirm": "1"}, follow=True)
    assert "expired" in response.content.decode()
    assert Code.objects.filter(study=study).count() == 3


def test_a_refused_file_shows_why_and_writes_nothing(study, researcher_client):
    url = reverse("exchange_import", args=[study.pk])
    body = '<Sources><TextSource guid="00000000-0000-4000-8000-000000000001" name="K"><PlainTextContent>Kort</PlainTextContent><PlainTextSelection guid="00000000-0000-4000-8000-000000000002" startPosition="0" endPosition="99"/></TextSource></Sources>'
    response = researcher_client.post(url, {"file": _upload("bad.qdpx", qdpx(project(body)).getvalue())})
    assert response.status_code == 400
    assert "beyond the end of its text" in response.content.decode()
    response = researcher_client.post(url, {"confirm": "1"})
    assert not Source.objects.filter(study=study).exists()


def test_a_codebook_file_merges_into_the_codebook(coded, researcher_client):
    data = codebook_qdc(coded).replace(b'name="Ironi"', b'name="Sarkasme"')
    url = reverse("exchange_import", args=[coded.pk])
    response = researcher_client.post(url, {"file": _upload("kodebok.qdc", data)})
    assert response.status_code == 200 and "Sarkasme" in response.content.decode()
    researcher_client.post(url, {"confirm": "1"})
    assert set(Code.objects.filter(study=coded).values_list("name", flat=True)) == {"Humor", "Ironi", "Sarkasme"}


def test_the_supervisor_may_not_import(study, supervisor_client):
    response = supervisor_client.post(reverse("exchange_import", args=[study.pk]), {"file": _upload("x.qdpx", b"PK")})
    assert response.status_code == 403


def test_a_new_study_from_a_project(researcher, researcher_client):
    url = reverse("study_import")
    data = (FIXTURES / "target-atlas-project.qdpx").read_bytes()
    response = researcher_client.post(url, {"file": _upload("target.qdpx", data), "title": "Fra ATLAS.ti"})
    assert response.status_code == 200
    assert not Study.objects.filter(title="Fra ATLAS.ti").exists()
    response = researcher_client.post(url, {"confirm": "1"})
    study = Study.objects.get(title="Fra ATLAS.ti")
    assert response.status_code == 302 and response["Location"] == reverse("study_overview", args=[study.pk])
    assert Membership.objects.get(study=study).user == researcher
    assert Code.objects.filter(study=study).count() == 3


def test_the_pending_upload_belongs_to_its_study(study, researcher, researcher_client):
    other = Study.objects.create(title="Annen", created_by=researcher)
    Membership.objects.create(study=other, user=researcher, role=Membership.Role.OWNER)
    data = (FIXTURES / "target-atlas-project.qdpx").read_bytes()
    researcher_client.post(reverse("exchange_import", args=[study.pk]), {"file": _upload("t.qdpx", data)})
    researcher_client.post(reverse("exchange_import", args=[other.pk]), {"confirm": "1"})
    assert not Code.objects.filter(study=other).exists()


def test_uploads_must_be_qdpx_or_qdc(study, researcher_client):
    response = researcher_client.post(
        reverse("exchange_import", args=[study.pk]), {"file": _upload("notes.docx", b"PK\x03\x04")}
    )
    assert response.status_code == 400
    assert ".qdpx" in response.content.decode()
    assert not Informant.objects.filter(study=study).exists() and not Excerpt.objects.exists()


def test_the_pending_upload_waits_in_the_shared_storage_and_abandoned_ones_are_swept(study, researcher_client):
    """Every web process reads the pending file through the default storage (an object store in a department
    installation), and an upload nobody confirmed is deleted a day later, when the next preview is made."""
    import datetime as dt
    import os

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stale = default_storage.save("refi-imports/abandonedtoken.upload", ContentFile(b"PK old"))
    long_ago = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    os.utime(default_storage.path(stale), (long_ago, long_ago))
    url = reverse("exchange_import", args=[study.pk])
    data = (FIXTURES / "target-atlas-project.qdpx").read_bytes()
    researcher_client.post(url, {"file": _upload("target.qdpx", data)})
    token = researcher_client.session["refi_import"]["token"]
    with default_storage.open(f"refi-imports/{token}.upload", "rb") as stored:
        assert stored.read() == data
    assert not default_storage.exists(stale)
    researcher_client.post(url, {"confirm": "1"})
    assert not default_storage.exists(f"refi-imports/{token}.upload")
    assert Code.objects.filter(study=study).count() == 3


@pytest.mark.parametrize("extra", [0, 6])
def test_the_excerpt_csv_takes_the_same_queries_whatever_the_number_of_excerpts(
    coded, researcher, researcher_client, django_assert_num_queries, extra
):
    source = Source.objects.get(study=coded)
    code = Code.objects.get(study=coded, name="Ironi")
    for n in range(extra):  # one-character excerpts of "sa hun, og vi lo"
        start = TEXT.index("sa hun") + n
        excerpt_create(
            source=source, actor=researcher, start=start, end=start + 1, text=TEXT[start], code_ids=[code.pk]
        )
    # session, user with membership and study, the audit row; the codebook, informants, groups, sites, attributes;
    # what is left out; the excerpts; the codings and speaker links of the whole study (two joins)
    with django_assert_num_queries(12):
        response = researcher_client.get(reverse("exchange_excerpts_csv", args=[coded.pk]))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.count("Humor > Ironi") == 1 + extra


@pytest.mark.parametrize("extra", [0, 6])
def test_the_matrix_workbook_takes_the_same_queries_whatever_the_size(
    coded, researcher, researcher_client, django_assert_num_queries, extra
):
    source = Source.objects.get(study=coded)
    for n in range(extra):
        code = code_create(study=coded, actor=researcher, name=f"Ekstra {n}")
        start = TEXT.index("sa hun") + n
        excerpt_create(
            source=source, actor=researcher, start=start, end=start + 1, text=TEXT[start], code_ids=[code.pk]
        )
    # the request's own and the audit row; what is left out, groups, the codebook (its paths, as light rows: no
    # guide questions any more); one aggregate for the cells and the row totals (two before), after raising its
    # work_mem in a transaction of its own (set_config, and here SAVEPOINT and RELEASE)
    with django_assert_num_queries(7 + 3):
        response = researcher_client.get(reverse("exchange_matrix_xlsx", args=[coded.pk]))
        b"".join(response.streaming_content)
