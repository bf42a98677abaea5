"""The information letter's promises checked against what the study records, on the overview and lifecycle page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Membership, Study
from cases.selectors import study_overview
from cases.selectors_lifecycle import letter_promises
from interviews.models import Recording
from tests.factories import InformationLetterFactory, SessionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
END = TODAY + dt.timedelta(days=60)
PROMISED = TODAY + dt.timedelta(days=90)


@pytest.fixture
def letter(study):
    Study.objects.filter(pk=study.pk).update(end_date=END)
    study.refresh_from_db()
    return InformationLetterFactory(
        study=study,
        promised_roles=[Membership.Role.OWNER, Membership.Role.CO_RESEARCHER],
        promised_storage="Egen PC og kryptert minnebrikke",
        promised_deletion=PROMISED,
    )


@pytest.fixture
def recording(study):
    session = SessionFactory(study=study, code="S01")
    return Recording.objects.create(session=session, device="iPhone", storage_location="minnebrikke", deletion_due=END)


def letter_check(study):
    return next(check for check in study_overview(study) if check.area == "letter")


def test_a_kept_letter_is_in_order(study, letter, recording, co_researcher):
    check = letter_check(study)
    assert check.problems == []
    assert (check.done, check.total, check.url_name) == (3, 3, "data_lifecycle")


def test_a_supervisor_the_letter_does_not_name_is_flagged(study, letter, recording, supervisor):
    promises = letter_promises(study)
    assert promises.access == ["Supervisor Siri Supervisor has access, but the letter does not name supervisors."]
    assert promises.storage == [] and promises.deletion == []
    assert letter_check(study).done == 2


def test_an_open_invitation_in_an_unnamed_role_is_flagged(study, letter, researcher):
    from cases.services.studies import invitation_create

    invitation_create(
        study=study, actor=researcher, email="veileder@example.org", role="supervisor", accept_url_builder=str
    )
    assert any("veileder@example.org" in p and "supervisors" in p for p in letter_promises(study).access)


def test_storage_mismatch_is_flagged_case_insensitively(study, letter, recording):
    Recording.objects.create(
        session=recording.session, device="Zoom", storage_location="OneDrive", deletion_due=PROMISED
    )
    Recording.objects.create(session=recording.session, device="Zoom", storage_location="KRYPTERT MINNEBRIKKE")
    Recording.objects.create(session=recording.session, device="Zoom", storage_location="OneDrive", deleted_on=PROMISED)
    storage = letter_promises(study).storage
    assert storage == [
        "Recording of S01 is stored on “OneDrive”, but the letter promises “Egen PC og kryptert minnebrikke”."
    ]


def test_deletion_after_the_promise_is_flagged(study, letter, recording):
    late = PROMISED + dt.timedelta(days=1)
    Recording.objects.filter(pk=recording.pk).update(deletion_due=late)
    Recording.objects.create(session=recording.session, storage_location="minnebrikke", deleted_on=late)
    Study.objects.filter(pk=study.pk).update(end_date=late)
    study.refresh_from_db()
    assert letter_promises(study).deletion == [
        f"Recording of S01 is due for deletion on {late}, after the promised {PROMISED}.",
        f"Recording of S01 was deleted on {late}, after the promised {PROMISED}.",
        f"The project ends on {late}, after the deletion the letter promised ({PROMISED}).",
    ]


def test_an_end_action_that_cannot_run_before_the_promised_date_is_flagged(study, letter, recording):
    # The end date passed without a reminder: the owner gets a full notice period, which overruns the promise.
    Study.objects.filter(pk=study.pk).update(end_date=TODAY - dt.timedelta(days=1))
    Recording.objects.filter(pk=recording.pk).update(deletion_due=TODAY - dt.timedelta(days=1))
    InformationLetterFactory(
        study=study,
        dated=dt.date(2030, 1, 1),
        promised_roles=["owner"],
        promised_storage="minnebrikke",
        promised_deletion=TODAY,
    )
    study.refresh_from_db()
    [problem] = letter_promises(study).deletion
    assert problem.startswith("The end action can only run on ")


def test_a_letter_without_named_roles_or_deletion_date_is_flagged(study, recording):
    InformationLetterFactory(study=study, promised_storage="minnebrikke")
    promises = letter_promises(study)
    assert promises.access == ["The letter's named roles are not recorded: tick who the letter says has access."]
    assert promises.deletion == ["The letter records no date by which data is deleted."]


def test_no_letter_is_flagged(study, recording):
    check = letter_check(study)
    assert check.problems == ["No information letter recorded: its promises cannot be checked."]
    assert check.percent == 0


def test_the_overview_and_lifecycle_page_show_the_flags(researcher_client, study, letter, recording, supervisor):
    for name in ("study_overview", "data_lifecycle"):
        page = researcher_client.get(reverse(name, args=[study.pk])).content.decode()
        assert "Siri Supervisor has access, but the letter does not name supervisors." in page, name
    assert 'data-check="letter"' in researcher_client.get(reverse("study_overview", args=[study.pk])).content.decode()


def test_the_letter_form_records_the_named_roles(researcher_client, study):
    response = researcher_client.post(
        reverse("letter_create", args=[study.pk]),
        {"version": "v2", "promised_roles": ["owner", "supervisor"], "promised_storage": "", "promised_access": ""},
    )
    assert response.status_code == 302
    assert study.information_letters.get(version="v2").promised_roles == ["owner", "supervisor"]
