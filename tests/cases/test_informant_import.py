"""Importing informants from CSV: preview, per-row errors, all-or-nothing, encodings and delimiters."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import AttributeDefinition, AttributeValue, AuditEvent, Informant
from cases.services.informant_import import (
    ImportFileError,
    csv_decode,
    informant_import_apply,
    informant_import_parse,
)
from tests.factories import InformantFactory, InformantGroupFactory, SiteFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "code;group;site;role;recruitment_channel;relationship;status;Kjønn;Ansiennitet\n"


@pytest.fixture
def setup(study):
    InformantGroupFactory(study=study, label="Arbeidsgiver")
    InformantGroupFactory(study=study, label="Tillitsvalgt")
    SiteFactory(study=study, pseudonym="Kommune A")
    AttributeDefinition.objects.create(
        study=study, name="Kjønn", kind=AttributeDefinition.Kind.CHOICE, choices=["Kvinne", "Mann"], position=1
    )
    AttributeDefinition.objects.create(
        study=study, name="Ansiennitet", kind=AttributeDefinition.Kind.NUMBER, position=2
    )
    return study


def upload(client, study, content: bytes | str, name="informanter.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        reverse("informant_import", args=[study.pk]), {"file": SimpleUploadedFile(name, data, content_type="text/csv")}
    )


def confirm(client, study):
    return client.post(reverse("informant_import", args=[study.pk]), {"confirm": "1"})


# Through the client --------------------------------------------------------------------------------------------------


def test_latin1_file_previews_then_imports_with_norwegian_letters(researcher_client, setup):
    study = setup
    response = upload(researcher_client, study, (FIXTURES / "informants_latin1.csv").read_bytes())
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 informants are ready to import" in page
    assert "Bodø" in page and "Ørland" in page and "Åsnes" in page
    assert Informant.objects.filter(study=study).count() == 0  # the preview writes nothing

    response = confirm(researcher_client, study)
    assert response.status_code == 302
    assert response["Location"] == reverse("informant_list", args=[study.pk])
    roles = dict(Informant.objects.filter(study=study).values_list("code", "role"))
    assert roles == {"AG1": "Bodø", "AG2": "Ørland", "TV1": "Åsnes"}
    ag1 = Informant.objects.select_related("group", "site").get(study=study, code="AG1")
    assert (ag1.group.label, ag1.site.pseudonym, ag1.recruitment_channel) == (
        "Arbeidsgiver",
        "Kommune A",
        "Via rådmannen",
    )
    assert ag1.relationship == Informant.Relationship.COLLEAGUE
    assert Informant.objects.get(study=study, code="AG2").status == Informant.Status.INVITED
    tv1 = Informant.objects.get(study=study, code="TV1")
    assert (tv1.site, tv1.relationship, tv1.status) == (None, Informant.Relationship.NONE, Informant.Status.RECRUITED)
    years = AttributeValue.objects.get(informant=ag1, definition__name="Ansiennitet")
    assert years.value_number == Decimal("12.5")
    assert AttributeValue.objects.get(informant=ag1, definition__name="Kjønn").value_text == "Kvinne"
    assert AuditEvent.objects.filter(study=study, action="informant.created").count() == 3
    assert AuditEvent.objects.get(study=study, action="informant.imported").data["count"] == 3

    # The stored preview is used once: a second confirm imports nothing more.
    response = confirm(researcher_client, study)
    assert response.status_code == 302 and response["Location"] == reverse("informant_import", args=[study.pk])
    assert Informant.objects.filter(study=study).count() == 3


def test_utf8_with_bom_and_comma_delimiter(researcher_client, setup):
    study = setup
    response = upload(researcher_client, study, (FIXTURES / "informants_utf8_bom.csv").read_bytes())
    assert response.status_code == 200, response.content.decode()
    assert confirm(researcher_client, study).status_code == 302
    ag1 = Informant.objects.get(study=study, code="AG1")
    assert ag1.recruitment_channel == "Via rådmannen, muntlig"
    assert ag1.relationship == Informant.Relationship.MANAGER
    ag2 = Informant.objects.select_related("group", "site").get(study=study, code="AG2")
    # Labels match whatever the case.
    assert (ag2.group.label, ag2.site.pseudonym, ag2.status) == ("Arbeidsgiver", "Kommune A", "candidate")


def test_wrong_header_names_the_expected_columns_and_writes_nothing(researcher_client, setup):
    study = setup
    response = upload(researcher_client, study, "navn;gruppe\nKari;Arbeidsgiver\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Wrong header" in page
    assert "code, group, site, role, recruitment_channel, relationship, status, Kjønn, Ansiennitet" in page
    assert Informant.objects.filter(study=study).count() == 0
    assert confirm(researcher_client, study).status_code == 302  # nothing was stored to confirm
    assert Informant.objects.filter(study=study).count() == 0


def test_unknown_columns_are_named(researcher_client, setup):
    study = setup
    response = upload(researcher_client, study, "code;role;navn;Alder\nAG1;leder;Kari;40\n")
    assert response.status_code == 400
    assert "Unknown columns: “navn”, “Alder”" in response.content.decode()
    assert Informant.objects.filter(study=study).count() == 0


def test_duplicate_code_in_the_file_and_in_the_study(researcher_client, setup):
    study = setup
    InformantFactory(study=study, code="TV9")
    before = Informant.objects.count()
    response = upload(researcher_client, study, HEADER + "AG1;;;;;;;;\nAG2;;;;;;;;\nag1;;;;;;;;\nTV9;;;;;;;;\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The code ag1 is already used on line 2 of this file." in page
    assert "An informant with the code TV9 already exists in the study." in page
    assert "2 rows have errors. Nothing has been imported" in page
    assert 'name="confirm"' not in page
    assert confirm(researcher_client, study).status_code == 302
    assert Informant.objects.count() == before


def test_bad_attribute_values_and_labels_are_reported_per_row(researcher_client, setup):
    study = setup
    rows = [
        "AG1;Arbeidsgiver;Kommune A;;;;;Kvinne;mange",
        "AG2;Ledergruppe;Kommune Z;;;venn;ferdig;Ukjent;3",
        "AG3;Arbeidsgiver;;;;;;;4",
    ]
    response = upload(researcher_client, study, HEADER + "\n".join(rows) + "\n")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ansiennitet must be a number, not “mange”." in page
    assert "There is no group called “Ledergruppe”. Known: Arbeidsgiver, Tillitsvalgt." in page
    assert "There is no site called “Kommune Z”." in page
    assert "“venn” is not a valid relationship" in page
    assert "“ferdig” is not a valid status" in page
    assert "Kjønn must be one of Kvinne, Mann, not “Ukjent”." in page
    assert "2 rows have errors" in page
    assert Informant.objects.filter(study=study).count() == 0


def test_preview_is_reparsed_on_confirm_so_a_code_taken_meanwhile_writes_nothing(researcher_client, setup):
    study = setup
    assert upload(researcher_client, study, HEADER + "AG1;;;;;;;;\nAG2;;;;;;;;\n").status_code == 200
    InformantFactory(study=study, code="AG2")
    response = confirm(researcher_client, study)
    assert response.status_code == 400
    assert "An informant with the code AG2 already exists in the study." in response.content.decode()
    assert list(Informant.objects.filter(study=study).values_list("code", flat=True)) == ["AG2"]


def test_too_large_and_binary_files_are_refused(researcher_client, setup):
    study = setup
    response = upload(researcher_client, study, b"code\n" + b"A" * (1024 * 1024 + 10))
    assert response.status_code == 400
    assert "larger than 1 MB" in response.content.decode()
    response = upload(researcher_client, study, b"%PDF-1.4\x00\x01\x02")
    assert response.status_code == 400
    assert "not a text file" in response.content.decode()
    assert Informant.objects.filter(study=study).count() == 0


def test_empty_and_header_only_files_are_refused(researcher_client, setup):
    study = setup
    assert "The file is empty." in upload(researcher_client, study, "\n\n").content.decode()
    assert "a header but no informants" in upload(researcher_client, study, "code;role\n").content.decode()


def test_import_page_shows_the_expected_header(researcher_client, setup):
    page = researcher_client.get(reverse("informant_import", args=[setup.pk])).content.decode()
    assert "code;group;site;role;recruitment_channel;relationship;status;Kjønn;Ansiennitet" in page


# The services --------------------------------------------------------------------------------------------------------


def test_csv_decode_handles_utf8_bom_cp1252_and_latin1():
    assert csv_decode("\ufeffcode\nBodø\r\n".encode()) == "code\nBodø\n"
    assert csv_decode("code\nÅsnes – Ørland\n".encode("cp1252")) == "code\nÅsnes – Ørland\n"
    assert csv_decode(b"code\n\x81\xe6\xf8\xe5\n") == "code\n\x81æøå\n"  # 0x81 is a hole in cp1252
    with pytest.raises(ImportFileError):
        csv_decode(b"\x00\x01")


def test_parse_accepts_both_value_and_label_of_status_and_relationship(setup):
    text = "code,relationship,status\nA1,Reports to the researcher,Dropped out\nA2,subordinate,dropped_out\nA3,,\n"
    preview = informant_import_parse(study=setup, text=text)
    assert preview.is_valid, [row.errors for row in preview.rows]
    assert [row.fields.get("relationship") for row in preview.rows] == ["subordinate", "subordinate", None]
    assert [row.fields.get("status") for row in preview.rows] == ["dropped_out", "dropped_out", None]


def test_parse_reports_a_too_long_code_and_too_many_cells(setup):
    preview = informant_import_parse(study=setup, text="code;role\n" + "X" * 31 + ";leder\nA2;leder;ekstra\n")
    assert not preview.is_valid
    assert any("at most 30 characters" in error for error in preview.rows[0].errors)
    assert preview.rows[1].errors == ["The row has 3 cells but the header names 2 columns."]


def test_parse_caps_the_number_of_rows(setup):
    text = "code\n" + "".join(f"I{number}\n" for number in range(2001))
    preview = informant_import_parse(study=setup, text=text)
    assert preview.errors == ["The file has 2001 rows; import at most 2000 at a time."]


def test_apply_refuses_an_invalid_preview(setup, researcher):
    preview = informant_import_parse(study=setup, text="code\nA1\nA1\n")
    with pytest.raises(ValidationError):
        informant_import_apply(study=setup, actor=researcher, preview=preview)
    assert Informant.objects.filter(study=setup).count() == 0


def test_apply_rolls_back_every_row_when_one_fails(setup, researcher):
    preview = informant_import_parse(study=setup, text="code\nA1\nA2\nA3\n")
    assert preview.is_valid
    InformantFactory(study=setup, code="A3")  # taken after the preview was made
    with pytest.raises(ValidationError, match="Line 4"):
        informant_import_apply(study=setup, actor=researcher, preview=preview)
    assert list(Informant.objects.filter(study=setup).values_list("code", flat=True)) == ["A3"]
    assert not AuditEvent.objects.filter(study=setup, action="informant.created").exists()


def test_parse_uses_a_fixed_number_of_queries(setup, django_assert_num_queries):
    text = HEADER + "".join(f"I{number};Arbeidsgiver;Kommune A;;;;;Kvinne;{number}\n" for number in range(50))
    # definitions, expected columns, groups, sites, existing codes
    with django_assert_num_queries(5):
        preview = informant_import_parse(study=setup, text=text)
    assert preview.is_valid
