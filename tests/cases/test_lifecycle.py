"""The data lifecycle: the end-date reminder, the end actions, idempotence, the dry run, the schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import (
    AuditEvent,
    ConsentRecord,
    IdentityRecord,
    Informant,
    ReportJob,
    SensitiveTerm,
    Site,
    StoredFile,
    Study,
)
from cases.services.lifecycle import end_action_due, end_action_preview, lifecycle_run
from interviews.models import Excerpt, Memo, Recording, Session, Source
from tests.cases.lifecycle_world import build, file_names, row_counts
from tests.cases.uploads import media_root_fixture  # noqa: F401 (autouse)
from tests.security.figures import record_figure

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOTICE = dt.timedelta(days=settings.STUDY_END_REMINDER_DAYS)


@pytest.fixture
def ending(study):
    """A study that ends a notice period from today, with one object of every kind."""
    Study.objects.filter(pk=study.pk).update(end_date=TODAY + NOTICE, start_date=TODAY - dt.timedelta(days=300))
    study.refresh_from_db()
    return study


def reminded_long_ago(study: Study, end_action: str) -> Study:
    """The study as it stands on its end date, after the reminder went out a notice period earlier."""
    Study.objects.filter(pk=study.pk).update(
        end_date=TODAY, end_action=end_action, end_reminder_sent_at=timezone.now() - NOTICE - dt.timedelta(days=1)
    )
    study.refresh_from_db()
    return study


def run(day: dt.date, capture) -> object:
    with capture(execute=True):
        return lifecycle_run(today=day)


# The reminder ---------------------------------------------------------------------------------------------------


def test_reminder_is_sent_once_at_the_right_date(ending, researcher, django_capture_on_commit_callbacks):
    researcher.notify_by_email = False  # a legal duty: sent whatever the owner's notification setting says
    researcher.save()
    day_before = ending.end_date - NOTICE - dt.timedelta(days=1)
    assert run(day_before, django_capture_on_commit_callbacks).reminded == []
    assert mail.outbox == []

    result = run(ending.end_date - NOTICE, django_capture_on_commit_callbacks)
    assert result.reminded == [ending.pk]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [researcher.email]
    assert ending.title in message.subject
    assert ending.end_date.isoformat() in message.body
    assert f"/studies/{ending.pk}/lifecycle/" in message.body
    ending.refresh_from_db()
    assert ending.end_reminder_sent_at is not None
    event = AuditEvent.objects.get(study=ending, action="lifecycle.reminded")
    assert event.actor is None and event.data["end_action_due"] == ending.end_date.isoformat()

    for later in (ending.end_date - NOTICE, ending.end_date - dt.timedelta(days=1)):
        assert run(later, django_capture_on_commit_callbacks).reminded == []
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="lifecycle.reminded").count() == 1
    ending.refresh_from_db()
    assert ending.end_action_done_at is None, "nothing happens before the end date"


def test_the_end_action_waits_a_full_notice_period_after_a_late_reminder(study, django_capture_on_commit_callbacks):
    build(study)
    Study.objects.filter(pk=study.pk).update(end_date=TODAY - dt.timedelta(days=100))
    study.refresh_from_db()
    result = run(TODAY, django_capture_on_commit_callbacks)
    assert result.reminded == [study.pk] and not result.anonymised
    study.refresh_from_db()
    assert end_action_due(study, today=TODAY) == TODAY + NOTICE
    assert run(TODAY + NOTICE - dt.timedelta(days=1), django_capture_on_commit_callbacks).changed_anything is False
    assert IdentityRecord.objects.filter(informant__study=study).count() == 2
    assert study.pk in run(TODAY + NOTICE, django_capture_on_commit_callbacks).anonymised


def test_studies_without_an_end_date_are_left_alone(study, django_capture_on_commit_callbacks):
    Study.objects.filter(pk=study.pk).update(end_date=None, start_date=None)
    assert not run(TODAY + dt.timedelta(days=3650), django_capture_on_commit_callbacks).changed_anything


# Anonymise --------------------------------------------------------------------------------------------------------


def test_anonymise_deletes_the_key_list_and_identifying_details(study, django_capture_on_commit_callbacks):
    world = build(study)
    reminded_long_ago(study, Study.EndAction.ANONYMISE)
    identity_history = IdentityRecord.history.model.objects
    assert identity_history.count() == 3
    consent_form_name = world.consent_form.file.name
    assert default_storage.exists(consent_form_name)
    preview = end_action_preview(study=study)

    result = run(TODAY, django_capture_on_commit_callbacks)

    counts = result.anonymised[study.pk]
    assert counts == preview
    assert counts == {
        "identity_records_history": 3,
        "identity_records": 2,
        "consent_forms_on_disk": 1,
        "consent_forms": 1,
        "site_real_names": 1,
        "sensitive_terms": 1,
        "recordings": 1,
        "informants": 2,
    }
    assert IdentityRecord.objects.count() == 0
    assert identity_history.count() == 0, "the deletion must not leave a historical copy of the key list"
    assert Site.objects.get(pk=world.site.pk).real_name == ""
    assert SensitiveTerm.objects.filter(study=study).count() == 0
    assert not default_storage.exists(consent_form_name)
    assert ConsentRecord.objects.filter(informant__study=study).count() == 2, "consent records stay; only the form goes"
    assert Recording.objects.get(pk=world.recordings[0].pk).deleted_on == TODAY
    assert Recording.objects.get(pk=world.recordings[1].pk).deleted_on == dt.date(2017, 3, 1)
    first = Informant.objects.get(pk=world.informants[0].pk)
    assert (first.notes, first.recruitment_channel, first.relationship) == ("", "", "none")
    assert first.anonymised_at is not None
    # The research data stays.
    assert Excerpt.objects.filter(study=study).count() == 1 and Source.objects.filter(study=study).count() == 1
    study.refresh_from_db()
    assert study.end_action_done_at is not None
    event = AuditEvent.objects.get(study=study, action="lifecycle.anonymised")
    assert event.data["identity_records"] == 2 and event.actor is None
    assert "Kari" not in str(event.data) and "Bodø" not in str(event.data) and "Fyrlykt" not in str(event.data)


# Delete -----------------------------------------------------------------------------------------------------------


def test_delete_removes_the_research_data_and_its_files(study, django_capture_on_commit_callbacks):
    world = build(study)
    reminded_long_ago(study, Study.EndAction.DELETE)
    names = file_names(study)
    assert len(names) == 3 and all(default_storage.exists(name) for name in names)
    preview = end_action_preview(study=study)

    result = run(TODAY, django_capture_on_commit_callbacks)

    counts = result.deleted[study.pk]
    assert counts == preview
    assert counts["excerpts"] == 1 and counts["sources"] == 1 and counts["memos"] == 1
    assert counts["informants"] == 2 and counts["identity_records"] == 2 and counts["consent_records"] == 2
    assert counts["recordings"] == 2 and counts["sessions"] == 1 and counts["reports"] == 1
    assert counts["stored_files"] == 2 and counts["stored_files_on_disk"] == 2 and counts["report_files_on_disk"] == 1
    assert not any(default_storage.exists(name) for name in names)
    for model in (Excerpt, Memo, Source, Session, Informant, ReportJob, StoredFile, SensitiveTerm):
        assert model.objects.filter(study=study).count() == 0, model
    assert Recording.objects.filter(session__study=study).count() == 0
    for model in (IdentityRecord, ConsentRecord, Excerpt):
        assert model.history.model.objects.count() == 0, model
    assert Site.objects.get(pk=world.site.pk).real_name == ""
    # What stays: the study with its title, the codebook, and the audit trail with the lifecycle record.
    study.refresh_from_db()
    assert study.title and study.end_action_done_at is not None
    assert world.code.__class__.objects.filter(pk=world.code.pk).exists()
    assert AuditEvent.objects.get(study=study, action="lifecycle.deleted").data["excerpts"] == 1


@pytest.mark.parametrize("end_action", Study.EndAction.values)
def test_a_second_run_changes_no_row(study, end_action, django_capture_on_commit_callbacks):
    build(study)
    reminded_long_ago(study, end_action)
    run(TODAY, django_capture_on_commit_callbacks)
    after_first = row_counts()
    result = run(TODAY, django_capture_on_commit_callbacks)
    assert not result.changed_anything
    assert row_counts() == after_first
    changed = sum(abs(after_first[table] - count) for table, count in row_counts().items())
    record_figure("retention_second_run_changed", changed)
    assert run(TODAY + dt.timedelta(days=400), django_capture_on_commit_callbacks).changed_anything is False
    assert row_counts() == after_first


def test_dry_run_changes_nothing(study, django_capture_on_commit_callbacks):
    build(study)
    reminded_long_ago(study, Study.EndAction.DELETE)
    before = row_counts()
    names = file_names(study)
    with django_capture_on_commit_callbacks(execute=True):
        result = lifecycle_run(today=TODAY, dry_run=True)
    assert result.deleted[study.pk]["excerpts"] == 1
    assert row_counts() == before
    assert all(default_storage.exists(name) for name in names)
    study.refresh_from_db()
    assert study.end_action_done_at is None


def test_one_failing_study_does_not_stop_the_others(study, outsider, django_capture_on_commit_callbacks, monkeypatch):
    other = Study.objects.get(created_by=outsider)
    reminded_long_ago(study, Study.EndAction.ANONYMISE)
    reminded_long_ago(other, Study.EndAction.ANONYMISE)
    from cases.services import lifecycle

    real = lifecycle._anonymise

    def flaky(target, today, steps):
        if target.pk == study.pk:
            raise RuntimeError("disk full")
        real(target, today, steps)

    monkeypatch.setattr(lifecycle, "_anonymise", flaky)
    result = run(TODAY, django_capture_on_commit_callbacks)
    assert result.failed == [study.pk] and list(result.anonymised) == [other.pk]
    study.refresh_from_db()
    assert study.end_action_done_at is None, "a failed end action is rolled back and tried again tomorrow"


# The schedule and the command -----------------------------------------------------------------------------------


def test_the_beat_schedule_runs_the_lifecycle_task_daily():
    from celery.schedules import crontab

    from cases.tasks import study_lifecycle_run
    from config.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "cases.tasks.study_lifecycle_run"]
    assert len(entries) == 1
    assert isinstance(entries[0]["schedule"], crontab)
    assert study_lifecycle_run.name == "cases.tasks.study_lifecycle_run"
    assert "cases.tasks.study_lifecycle_run" in app.tasks


def test_the_task_runs_the_service(study, django_capture_on_commit_callbacks):
    from cases.tasks import study_lifecycle_run

    reminded_long_ago(study, Study.EndAction.ANONYMISE)
    with django_capture_on_commit_callbacks(execute=True):
        study_lifecycle_run.apply()
    study.refresh_from_db()
    assert study.end_action_done_at is not None


def test_command_dry_run_and_real_run(study, django_capture_on_commit_callbacks):
    build(study)
    reminded_long_ago(study, Study.EndAction.ANONYMISE)
    out = StringIO()
    call_command("run_lifecycle", "--dry-run", "--today", TODAY.isoformat(), stdout=out)
    assert (
        f"[dry run] would anonymise study {study.pk}: identity_records_history=3, identity_records=2" in out.getvalue()
    )
    study.refresh_from_db()
    assert study.end_action_done_at is None
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_lifecycle", "--today", TODAY.isoformat(), stdout=out)
    assert f"anonymise study {study.pk}" in out.getvalue() and "Kari" not in out.getvalue()
    out = StringIO()
    call_command("run_lifecycle", "--today", TODAY.isoformat(), stdout=out)
    assert "nothing is due" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("run_lifecycle", "--today", "01.05.2017")
