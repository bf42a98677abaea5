"""Uploaded files: checked by content, and served only to members as attachments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import AuditEvent, StoredFile
from cases.services.files import stored_file_check, stored_file_create, uploads_discarded_on_failure
from tests.cases.uploads import (  # noqa: F401 (media_root_fixture is autouse)
    NOT_PDFS,
    fake_pdf_upload,
    files_under,
    media_root_fixture,
    pdf_bytes,
    pdf_upload,
    png_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter(study, researcher):
    return stored_file_create(study=study, actor=researcher, upload=pdf_upload("Informasjonsskriv Kari Nordmann.pdf"))


def download(client, study, stored):
    return client.get(reverse("file_download", args=[study.pk, stored.pk]))


def test_member_downloads_as_attachment(researcher_client, study, researcher, letter):
    response = download(researcher_client, study, letter)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Informasjonsskriv" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()

    event = AuditEvent.objects.get(study=study, action="file.downloaded")
    assert event.actor == researcher
    assert event.target_id == letter.pk
    # The original name may carry a person's name: the audit row must not.
    assert "Kari" not in event.target_label and "Kari" not in str(event.data)


@pytest.mark.parametrize("persona", ["co_researcher_client", "supervisor_client"])
def test_every_member_role_may_download(request, study, letter, persona):
    client = request.getfixturevalue(persona)
    response = download(client, study, letter)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_outsider_gets_404_and_nothing_is_audited(outsider_client, study, letter):
    assert download(outsider_client, study, letter).status_code == 404
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()


def test_anonymous_is_sent_to_login(client, study, letter):
    response = download(client, study, letter)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_file_of_another_study_is_404_through_this_study(researcher_client, study, outsider):
    other_study = outsider.memberships.get().study
    other_file = stored_file_create(study=other_study, actor=outsider, upload=pdf_upload())
    assert download(researcher_client, study, other_file).status_code == 404
    # Nor through the other study's own URL, where the researcher is no member.
    assert download(researcher_client, other_study, other_file).status_code == 404


def test_missing_bytes_give_404(researcher_client, study, letter):
    letter.file.storage.delete(letter.file.name)
    assert download(researcher_client, study, letter).status_code == 404
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()


def test_check_accepts_a_real_pdf():
    assert stored_file_check(pdf_upload()) == "application/pdf"


@pytest.mark.parametrize("kind", sorted(NOT_PDFS))
def test_check_refuses_files_named_pdf_that_are_not(kind):
    with pytest.raises(ValidationError, match="is not a PDF file"):
        stored_file_check(fake_pdf_upload(kind))


def test_check_refuses_an_empty_file():
    with pytest.raises(ValidationError, match="empty"):
        stored_file_check(SimpleUploadedFile("letter.pdf", b""))


def test_check_refuses_a_file_over_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="the limit is"):
        stored_file_check(pdf_upload())


def test_other_kinds_when_allowed(study, researcher):
    upload = SimpleUploadedFile("agenda.pdf", png_bytes())
    stored = stored_file_create(study=study, actor=researcher, upload=upload, allowed=frozenset({"image/png"}))
    assert stored.content_type == "image/png"


def test_files_stored_in_a_failed_block_are_deleted(study, researcher, media_root):
    with pytest.raises(RuntimeError), uploads_discarded_on_failure():
        stored_file_create(study=study, actor=researcher, upload=pdf_upload())
        assert len(files_under(media_root)) == 1
        raise RuntimeError("a later step failed")
    assert files_under(media_root) == []


def test_files_stored_in_a_successful_block_stay(study, researcher, media_root):
    with uploads_discarded_on_failure():
        stored = stored_file_create(study=study, actor=researcher, upload=pdf_upload())
    assert StoredFile.objects.filter(pk=stored.pk).exists()
    assert len(files_under(media_root)) == 1


def test_only_get_serves_the_file(researcher_client, study, letter):
    assert researcher_client.post(reverse("file_download", args=[study.pk, letter.pk])).status_code == 405
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()
