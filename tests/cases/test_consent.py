"""Consent: information letters, consent versions appended never edited, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import AuditEvent, ConsentRecord, Informant, InformationLetter, StoredFile
from cases.services.consent import consent_record, consent_withdraw
from tests.cases.uploads import fake_pdf_upload, files_under, media_root_fixture, pdf_upload  # noqa: F401 (autouse)
from tests.factories import (
    ConsentRecordFactory,
    InformantFactory,
    InformantGroupFactory,
    InformationLetterFactory,
    StudyFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def informant(study):
    return InformantFactory(study=study, code="AG1", group=InformantGroupFactory(study=study, label="Arbeidsgiver"))


@pytest.fixture
def letter(study):
    return InformationLetterFactory(study=study, version="v1")


def consent_post(**overrides) -> dict:
    data = {
        "letter": "",
        "mode": "written",
        "given_on": "2017-01-10",
        "covers_interview": "on",
        "covers_recording": "on",
        "notes": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def row(response, code: str):
    return next(r for r in response.context["rows"] if r.informant.code == code)


def test_list_shows_every_informant_with_state_and_a_warning_count(researcher_client, study, informant, letter):
    InformantFactory(study=study, code="TV1")
    pending = InformantFactory(study=study, code="TV2")
    ConsentRecordFactory(informant=pending, given_on=None)
    ConsentRecordFactory(informant=informant, letter=letter, mode="oral", covers_observation=True, covers_quotes=False)

    response = researcher_client.get(reverse("consent_list", args=[study.pk]))

    assert response.status_code == 200
    assert [r.informant.code for r in response.context["rows"]] == ["AG1", "TV1", "TV2"]
    given = row(response, "AG1")
    assert (given.state, given.mode_label, given.letter_version) == ("given", "Oral", "v1")
    assert given.scopes == ["interview", "recording", "observation"]
    assert row(response, "TV1").state == "missing"
    assert row(response, "TV2").state == "pending"
    assert response.context["without_consent"] == 2
    content = response.content.decode()
    assert "2 informants without consent" in content
    assert 'data-letter="%d"' % letter.pk in content


def test_empty_states_say_what_to_do(researcher_client, study):
    content = researcher_client.get(reverse("consent_list", args=[study.pk])).content.decode()
    assert 'data-empty-state="letters"' in content
    assert 'data-empty-state="informants"' in content
    assert "Register informants first" in content


def test_recording_twice_appends_two_versions_and_the_list_shows_the_latest(
    researcher_client, study, informant, letter, researcher
):
    v2 = InformationLetterFactory(study=study, version="v2")
    url = reverse("consent_record", args=[study.pk, informant.pk])

    first = researcher_client.post(url, consent_post(letter=letter.pk))
    assert first.status_code == 302
    second = researcher_client.post(
        url,
        consent_post(letter=v2.pk, mode="implied", given_on="2017-02-01", covers_quotes="on", covers_recording=None),
    )
    assert second.status_code == 302

    records = list(informant.consents.order_by("recorded_at", "id"))
    assert len(records) == 2
    assert (records[0].letter, records[0].covers_quotes, records[0].covers_recording) == (letter, False, True)
    assert (records[1].letter, records[1].covers_quotes, records[1].covers_recording) == (v2, True, False)
    assert all(r.recorded_by == researcher for r in records)
    assert AuditEvent.objects.filter(study=study, action="consent.recorded").count() == 2

    current = row(researcher_client.get(reverse("consent_list", args=[study.pk])), "AG1")
    assert (current.state, current.letter_version, current.mode_label) == (
        "given",
        "v2",
        "Implied by participation after the letter",
    )
    assert current.scopes == ["interview", "quotes in publications"]
    assert current.informant.consent_given_on == dt.date(2017, 2, 1)


def test_the_form_starts_from_the_current_version(researcher_client, study, informant, letter):
    ConsentRecordFactory(informant=informant, letter=letter, mode="oral", covers_quotes=False)
    form = researcher_client.get(reverse("consent_record", args=[study.pk, informant.pk])).context["form"]
    assert (form.initial["letter"], form.initial["mode"], form.initial["covers_quotes"]) == (letter.pk, "oral", False)


def test_oral_consent_without_a_date_is_a_clear_error_and_writes_nothing(researcher_client, study, informant):
    response = researcher_client.post(
        reverse("consent_record", args=[study.pk, informant.pk]), consent_post(mode="oral", given_on="")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["given_on"] == ["Oral consent needs the date it was given."]
    assert "Oral consent needs the date it was given." in response.content.decode()
    assert ConsentRecord.objects.count() == 0


def test_written_consent_may_be_pending_without_a_date(researcher_client, study, informant):
    response = researcher_client.post(
        reverse("consent_record", args=[study.pk, informant.pk]), consent_post(given_on="")
    )
    assert response.status_code == 302
    assert informant.consents.get().state == ConsentRecord.State.PENDING


def test_a_future_date_is_refused(researcher_client, study, informant):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = researcher_client.post(
        reverse("consent_record", args=[study.pk, informant.pk]), consent_post(given_on=tomorrow)
    )
    assert response.status_code == 400
    assert ConsentRecord.objects.count() == 0


def test_a_letter_of_another_study_is_refused(researcher_client, study, informant):
    foreign = InformationLetterFactory(study=StudyFactory(), version="v9")
    response = researcher_client.post(
        reverse("consent_record", args=[study.pk, informant.pk]), consent_post(letter=foreign.pk)
    )
    assert response.status_code == 400
    assert "letter" in response.context["form"].errors
    assert ConsentRecord.objects.count() == 0


def test_signed_form_is_stored_and_a_fake_one_writes_nothing(researcher_client, study, informant, media_root):
    url = reverse("consent_record", args=[study.pk, informant.pk])
    bad = researcher_client.post(url, consent_post(signed_form=fake_pdf_upload("png", "samtykke.pdf")))
    assert bad.status_code == 400
    assert "is not a PDF file" in str(bad.context["form"].errors["signed_form"])
    assert ConsentRecord.objects.count() == 0 and StoredFile.objects.count() == 0
    assert files_under(media_root) == []

    good = researcher_client.post(url, consent_post(signed_form=pdf_upload("samtykke.pdf")))
    assert good.status_code == 302
    record = informant.consents.get()
    assert record.form.original_name == "samtykke.pdf"
    history = researcher_client.get(reverse("consent_history", args=[study.pk, informant.pk])).content.decode()
    assert reverse("file_download", args=[study.pk, record.form.pk]) in history


def test_withdrawal_appends_a_version_and_marks_the_informant(researcher_client, study, informant, letter, researcher):
    original = ConsentRecordFactory(informant=informant, letter=letter, covers_quotes=False)
    response = researcher_client.post(
        reverse("consent_withdraw", args=[study.pk, informant.pk]), {"withdrawn_on": "2017-03-01"}
    )

    assert response.status_code == 302
    records = list(informant.consents.order_by("recorded_at", "id"))
    assert len(records) == 2
    assert records[0].pk == original.pk and records[0].withdrawn_on is None  # never edited in place
    latest = records[1]
    assert latest.state == ConsentRecord.State.WITHDRAWN
    assert (latest.withdrawn_on, latest.given_on, latest.letter, latest.covers_quotes) == (
        dt.date(2017, 3, 1),
        dt.date(2017, 1, 10),
        letter,
        False,
    )
    informant.refresh_from_db()
    assert informant.status == Informant.Status.WITHDRAWN

    listed = row(researcher_client.get(reverse("consent_list", args=[study.pk])), "AG1")
    assert listed.state == "withdrawn"
    assert listed.informant.consent_withdrawn_on == dt.date(2017, 3, 1)

    history = researcher_client.get(reverse("consent_history", args=[study.pk, informant.pk]))
    assert [r.pk for r in history.context["records"]] == [latest.pk, original.pk]
    content = history.content.decode()
    assert researcher.display_name in content
    assert reverse("consent_withdraw", args=[study.pk, informant.pk]) not in content


def test_withdrawal_before_consent_was_given_is_refused(researcher_client, study, informant):
    ConsentRecordFactory(informant=informant, given_on=dt.date(2017, 1, 10))
    response = researcher_client.post(
        reverse("consent_withdraw", args=[study.pk, informant.pk]), {"withdrawn_on": "2017-01-01"}
    )
    assert response.status_code == 400
    assert response.context["withdraw_form"].errors["withdrawn_on"] == [
        "Consent cannot be withdrawn before it was given."
    ]
    assert informant.consents.count() == 1
    informant.refresh_from_db()
    assert informant.status != Informant.Status.WITHDRAWN


def test_withdrawal_needs_a_date(researcher_client, study, informant):
    response = researcher_client.post(reverse("consent_withdraw", args=[study.pk, informant.pk]), {"withdrawn_on": ""})
    assert response.status_code == 400
    assert ConsentRecord.objects.count() == 0


def test_a_withdrawal_cannot_be_undone_by_recording_again(study, informant, researcher, researcher_client):
    consent_withdraw(informant=informant, actor=researcher, withdrawn_on=dt.date(2017, 3, 1))
    with pytest.raises(ValidationError, match="has withdrawn"):
        consent_record(informant=informant, actor=researcher, given_on=dt.date(2017, 3, 2))
    response = researcher_client.post(reverse("consent_record", args=[study.pk, informant.pk]), consent_post())
    assert response.status_code == 400
    assert "AG1 has withdrawn" in response.content.decode()
    assert informant.consents.count() == 1


def test_letter_create_with_a_pdf_and_edit(researcher_client, study, media_root):
    response = researcher_client.post(
        reverse("letter_create", args=[study.pk]),
        {
            "version": "v1",
            "dated": "2016-11-01",
            "promised_access": "Only the student and the supervisor",
            "promised_storage": "Encrypted disk at the university",
            "promised_deletion": "2017-06-30",
            "upload": pdf_upload("Informasjonsskriv v1.pdf"),
        },
    )
    assert response.status_code == 302
    letter = InformationLetter.objects.get(study=study)
    assert letter.file.original_name == "Informasjonsskriv v1.pdf"
    assert len(files_under(media_root)) == 1
    content = researcher_client.get(reverse("consent_list", args=[study.pk])).content.decode()
    assert reverse("file_download", args=[study.pk, letter.file.pk]) in content
    assert "Only the student and the supervisor" in content

    response = researcher_client.post(
        reverse("letter_edit", args=[study.pk, letter.pk]),
        {
            "version": "v1",
            "dated": "2016-11-01",
            "promised_access": "The student only",
            "promised_storage": "",
            "promised_deletion": "2017-06-30",
        },
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.promised_access == "The student only"
    assert letter.file is not None  # kept when no new file is sent
    event = AuditEvent.objects.get(study=study, action="information_letter.updated")
    assert event.data["fields"] == ["promised_access", "promised_storage"]


@pytest.mark.parametrize("kind", ["text", "png"])
def test_letter_with_a_fake_pdf_writes_nothing(researcher_client, study, media_root, kind):
    response = researcher_client.post(
        reverse("letter_create", args=[study.pk]),
        {
            "version": "v1",
            "upload": fake_pdf_upload(kind, "letter.pdf"),
        },
    )
    assert response.status_code == 400
    assert "“letter.pdf” is not a PDF file" in response.content.decode()
    assert InformationLetter.objects.count() == 0 and StoredFile.objects.count() == 0
    assert files_under(media_root) == []


def test_duplicate_letter_version_is_a_clear_error(researcher_client, study, letter, media_root):
    response = researcher_client.post(
        reverse("letter_create", args=[study.pk]), {"version": "V1", "upload": pdf_upload()}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["version"] == ["The study already has a letter version “V1”."]
    assert InformationLetter.objects.count() == 1
    assert files_under(media_root) == []


def write_urls(study, informant, letter) -> list[str]:
    return [
        reverse("letter_create", args=[study.pk]),
        reverse("letter_edit", args=[study.pk, letter.pk]),
        reverse("consent_record", args=[study.pk, informant.pk]),
        reverse("consent_withdraw", args=[study.pk, informant.pk]),
    ]


def test_supervisor_reads_without_edit_buttons(supervisor_client, study, informant, letter):
    ConsentRecordFactory(informant=informant)
    list_page = supervisor_client.get(reverse("consent_list", args=[study.pk]))
    history = supervisor_client.get(reverse("consent_history", args=[study.pk, informant.pk]))
    assert list_page.status_code == history.status_code == 200
    content = list_page.content.decode() + history.content.decode()
    for url in write_urls(study, informant, letter):
        assert url not in content


def test_supervisor_gets_403_on_every_write_and_nothing_changes(
    supervisor_client, study, informant, letter, media_root
):
    ConsentRecordFactory(informant=informant)
    events = AuditEvent.objects.count()
    post = consent_post(version="v2", withdrawn_on="2017-03-01", upload=pdf_upload())
    for url in write_urls(study, informant, letter):
        assert supervisor_client.get(url).status_code == 403, url
        assert supervisor_client.post(url, post).status_code == 403, url
    assert informant.consents.count() == 1
    assert list(InformationLetter.objects.values_list("version", flat=True)) == ["v1"]
    informant.refresh_from_db()
    assert informant.status == Informant.Status.RECRUITED
    assert AuditEvent.objects.count() == events
    assert files_under(media_root) == []


def test_outsider_gets_404_on_every_url(outsider_client, study, informant, letter):
    urls = [
        reverse("consent_list", args=[study.pk]),
        reverse("consent_history", args=[study.pk, informant.pk]),
        *write_urls(study, informant, letter),
    ]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, consent_post(withdrawn_on="2017-03-01", version="v3")).status_code == 404, url
    assert ConsentRecord.objects.count() == 0
    assert InformationLetter.objects.count() == 1


def test_objects_of_another_study_are_404_for_a_member(researcher_client, study, outsider):
    other_study = outsider.memberships.get().study
    other_informant = InformantFactory(study=other_study)
    other_letter = InformationLetterFactory(study=other_study)
    for url in write_urls(study, other_informant, other_letter)[1:] + [
        reverse("consent_history", args=[study.pk, other_informant.pk])
    ]:
        assert researcher_client.get(url).status_code in (404, 405), url
        assert researcher_client.post(url, consent_post(withdrawn_on="2017-03-01")).status_code == 404, url
    assert ConsentRecord.objects.count() == 0


def test_anonymous_is_sent_to_login(client, study, informant):
    response = client.get(reverse("consent_list", args=[study.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_consent_list_query_count_is_the_same_for_3_and_30_informants(
    researcher_client, study, letter, django_assert_num_queries
):
    def add(n: int) -> None:
        group = InformantGroupFactory(study=study)
        for _ in range(n):
            informant = InformantFactory(study=study, group=group)
            ConsentRecordFactory(informant=informant, letter=letter)
            ConsentRecordFactory(informant=informant, letter=letter, mode="oral")

    url = reverse("consent_list", args=[study.pk])
    # Session, user with membership and study, informants with consent, attribute values, letters, missing count.
    add(3)
    with django_assert_num_queries(6):
        assert len(researcher_client.get(url).context["rows"]) == 3
    add(27)
    with django_assert_num_queries(6):
        assert len(researcher_client.get(url).context["rows"]) == 30
