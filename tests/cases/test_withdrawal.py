"""The withdrawal cascade: a census of every row and file that could still point at the informant."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from cases.models import (
    AttributeValue,
    AuditEvent,
    ConsentRecord,
    IdentityRecord,
    Informant,
    ReportJob,
    StoredFile,
    Study,
    WithdrawalTombstone,
)
from cases.services.reports import report_ids_containing
from cases.services.withdrawal import REDACTED, informant_withdraw, withdrawal_plan
from interviews.models import Attendance, CodingAction, Excerpt, Memo, Recording, Session, Source, SpeakerLabel
from tests.cases.uploads import media_root_fixture  # noqa: F401  (each test stores files in its own folder)
from tests.cases.withdrawal_world import AG2_WORDS, TV5_WORDS, build
from tests.security.figures import record_figure

pytestmark = pytest.mark.django_db

TODAY = dt.date(2017, 3, 1)
HistoricalExcerpt = Excerpt.history.model
HistoricalIdentityRecord = IdentityRecord.history.model
HistoricalConsentRecord = ConsentRecord.history.model
ExcerptSpeaker = Excerpt.speakers.through


def withdraw(w, capture):
    with capture(execute=True):
        return informant_withdraw(informant=w.tv5, actor=w.actor, withdrawn_on=TODAY)


def texts_quoting(words: list[str]) -> dict[str, int]:
    """Rows anywhere whose text holds one of ``words`` verbatim."""

    def quoting(*fields: str) -> Q:
        condition = Q(pk__in=[])
        for quote in words:
            for name in fields:
                condition |= Q(**{f"{name}__contains": quote})
        return condition

    return {
        "source texts": Source.objects.filter(quoting("text")).count(),
        "excerpt texts": Excerpt.objects.filter(quoting("text", "memo", "condensed_meaning")).count(),
        "excerpt history": HistoricalExcerpt.objects.filter(quoting("memo", "condensed_meaning")).count(),
        "memos": Memo.objects.filter(quoting("title", "text")).count(),
        "session memos": Session.objects.filter(quoting("reflexive_memo")).count(),
        "undo records": sum(
            any(quote in json.dumps(before, ensure_ascii=False) for quote in words)
            for before in CodingAction.objects.values_list("before", flat=True)
        ),
    }


def audit_rows_naming(code: str) -> int:
    return (
        AuditEvent.objects.annotate(data_text=Cast("data", TextField()))
        .filter(Q(target_label__contains=code) | Q(data_text__contains=code))
        .count()
    )


def census(w) -> dict[str, int]:
    """Every row that refers to the informant by id, code or words (DELETE policy)."""
    pk = w.tv5.pk
    rows = {
        "informant": Informant.objects.filter(pk=pk).count(),
        "identity": IdentityRecord.objects.filter(informant_id=pk).count(),
        "identity history": HistoricalIdentityRecord.objects.filter(informant_id=pk).count(),
        "consent": ConsentRecord.objects.filter(informant_id=pk).count(),
        "consent history": HistoricalConsentRecord.objects.filter(informant_id=pk).count(),
        "excerpts": Excerpt.objects.filter(pk__in=w.tv5_excerpt_ids).count(),
        "excerpt history": HistoricalExcerpt.objects.filter(id__in=w.tv5_excerpt_ids).count(),
        "speaker links": ExcerptSpeaker.objects.filter(informant_id=pk).count(),
        "speaker labels": SpeakerLabel.objects.filter(informant_id=pk).count(),
        "attendance": Attendance.objects.filter(Q(informant_id=pk) | Q(substitute_for_id=pk)).count(),
        "attribute values": AttributeValue.objects.filter(informant_id=pk).count(),
        "stored files": StoredFile.objects.filter(pk=w.form.pk).count(),
        "reports naming them": len(report_ids_containing(w.study, pk)),
        "undo records": CodingAction.objects.filter(excerpt_id__in=w.tv5_excerpt_ids).count(),
        "audit rows with their code": audit_rows_naming("TV5"),
    }
    rows.update({f"{name} quoting them": count for name, count in texts_quoting(TV5_WORDS).items()})
    return rows


def files_left(w) -> dict[str, bool]:
    return {"signed form": os.path.exists(w.form_path), "report": os.path.exists(w.report_path)}


def test_census_delete_leaves_nothing_but_the_tombstone(study, django_capture_on_commit_callbacks):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    before = census(w)
    assert all(
        before[name]
        for name in ("identity history", "consent history", "excerpt history", "audit rows with their code")
    )
    assert all(files_left(w).values())

    tombstone = withdraw(w, django_capture_on_commit_callbacks)

    rows, files = census(w), files_left(w)
    record_figure("withdrawal_census", {"rows": sum(rows.values()), "files": sum(files.values())})
    assert rows == dict.fromkeys(rows, 0)
    assert files == dict.fromkeys(files, False)
    assert WithdrawalTombstone.objects.filter(study=study).count() == 1
    counts = tombstone.counts
    assert counts["excerpts_deleted"] == 3
    assert (counts["sources_deleted"], counts["sources_redacted"]) == (1, 1)
    assert (counts["files_deleted"], counts["reports_invalidated"], counts["memos_redacted"]) == (1, 1, 1)
    assert counts["recordings_marked_deleted"] == 1
    assert all(isinstance(value, int) for value in counts.values())
    assert "TV5" not in json.dumps(counts) and "Tove" not in json.dumps(counts)
    event = AuditEvent.objects.get(action="informant.withdrawn")
    assert event.target_id == tombstone.pk and "TV5" not in event.target_label + json.dumps(event.data)


def test_delete_keeps_the_other_informants_excerpt_on_its_own_words(study, django_capture_on_commit_callbacks):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    withdraw(w, django_capture_on_commit_callbacks)

    survivor = Excerpt.objects.select_related("source").get(pk=w.ag2_group.pk)
    source = survivor.source
    assert source.is_current and source.version == 2 and source.previous_version_id is None
    assert source.text[survivor.start : survivor.end] == survivor.text == AG2_WORDS
    assert not survivor.needs_reanchor
    assert list(survivor.speakers.values_list("code", flat=True)) == ["AG2"]
    assert survivor.memo == f"AG2 sier det motsatte av «{REDACTED}»"
    assert source.text.count(f"TV5: {REDACTED}\n") == 2 and "Moderator: Velkommen" in source.text
    # The individual interview is gone with its memo; the group source is the only one left.
    assert list(Source.objects.filter(study=study).values_list("pk", flat=True)) == [source.pk]
    assert not Memo.objects.filter(pk=w.interview_memo.pk).exists()
    assert Memo.objects.get(pk=w.study_memo.pk).text == f"Sentralt sitat: «{REDACTED}» – se også AG2."


def test_delete_marks_recordings_and_reports(study, django_capture_on_commit_callbacks):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    withdraw(w, django_capture_on_commit_callbacks)

    alone, shared = Recording.objects.get(pk=w.s01_recording.pk), Recording.objects.get(pk=w.fg1_recording.pk)
    assert alone.deleted_on is not None and "withdrew" in alone.notes and "TV5" not in alone.notes
    assert shared.deleted_on is None
    report = ReportJob.objects.get(pk=w.report.pk)
    assert report.state == ReportJob.State.STALE and not report.file and "withdrawn" in report.message
    assert report.informant_ids == [w.ag2.pk]


def test_census_anonymise_keeps_anonymous_data_and_nothing_identifying(study, django_capture_on_commit_callbacks):
    w = build(study, action=Study.WithdrawalAction.ANONYMISE)
    tombstone = withdraw(w, django_capture_on_commit_callbacks)

    informant = Informant.objects.get(pk=w.tv5.pk)
    assert informant.code == "Anonymisert 1" and informant.anonymised_at is not None
    assert (informant.role, informant.recruitment_channel, informant.notes, informant.site_id) == ("", "", "", None)
    assert informant.relationship == Informant.Relationship.NONE
    assert informant.status == Informant.Status.WITHDRAWN
    rows = {
        "identity": IdentityRecord.objects.filter(informant_id=informant.pk).count(),
        "identity history": HistoricalIdentityRecord.objects.filter(informant_id=informant.pk).count(),
        "attribute values": AttributeValue.objects.filter(informant_id=informant.pk).count(),
        "speaker links": ExcerptSpeaker.objects.filter(informant_id=informant.pk).count(),
        "speaker labels": SpeakerLabel.objects.filter(informant_id=informant.pk).count(),
        "stored files": StoredFile.objects.filter(pk=w.form.pk).count(),
        "reports naming them": len(report_ids_containing(w.study, informant.pk)),
        "audit rows with their code": audit_rows_naming("TV5"),
    }
    files = files_left(w)
    assert rows == dict.fromkeys(rows, 0)
    assert files == dict.fromkeys(files, False)
    # Kept, anonymous: the consent history (now ending in the withdrawal) and the excerpts.
    consents = list(ConsentRecord.objects.filter(informant=informant).order_by("recorded_at", "id"))
    assert [record.state for record in consents] == ["given", "withdrawn"]
    assert HistoricalConsentRecord.objects.filter(informant_id=informant.pk).count() == 2
    kept = Excerpt.objects.filter(pk__in=w.tv5_excerpt_ids)
    assert kept.count() == 3
    assert all(e.speakers_overridden and not e.has_unknown_speaker and not e.speakers.exists() for e in kept)
    assert Attendance.objects.filter(informant=informant).count() == 2
    assert tombstone.counts["excerpts_unlinked"] == 3 and tombstone.counts["reports_invalidated"] == 1
    assert ReportJob.objects.get(pk=w.report.pk).state == ReportJob.State.STALE


@pytest.mark.parametrize("action", Study.WithdrawalAction.values)
def test_withdrawing_twice_changes_nothing(study, django_capture_on_commit_callbacks, action):
    w = build(study, action=action)
    assert withdraw(w, django_capture_on_commit_callbacks) is not None
    audit_rows, tombstones = AuditEvent.objects.count(), WithdrawalTombstone.objects.count()
    informants = list(Informant.objects.values_list("pk", "code", "anonymised_at"))
    assert withdraw(w, django_capture_on_commit_callbacks) is None
    assert (AuditEvent.objects.count(), WithdrawalTombstone.objects.count()) == (audit_rows, tombstones)
    assert list(Informant.objects.values_list("pk", "code", "anonymised_at")) == informants


def test_the_plan_counts_what_will_happen_and_writes_nothing(study):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    audit_rows = AuditEvent.objects.count()
    plan = withdrawal_plan(w.tv5)
    assert plan.counts == {
        "excerpts": 3,
        "sources_deleted": 1,
        "sources_redacted": 1,
        "files": 1,
        "reports": 1,
        "memos": 1,
        "recordings": 1,
    }
    assert plan.group_recordings_kept == 1
    assert AuditEvent.objects.count() == audit_rows and Informant.objects.filter(pk=w.tv5.pk).exists()


def test_a_failure_keeps_everything(study, django_capture_on_commit_callbacks, monkeypatch):
    w = build(study, action=Study.WithdrawalAction.DELETE)

    def broken(*args, **kwargs):
        raise RuntimeError("storage down")

    monkeypatch.setattr("cases.services.withdrawal._scrub_audit", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        informant_withdraw(informant=w.tv5, actor=w.actor, withdrawn_on=TODAY)
    assert census(w)["excerpts"] == 3 and Informant.objects.filter(pk=w.tv5.pk).exists()
    assert all(files_left(w).values())
    assert not WithdrawalTombstone.objects.exists()
