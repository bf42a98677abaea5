"""Withdrawal of an informant: what the information letter promised, carried out in one transaction.

The study says what withdrawal does (``Study.withdrawal_action``):

* **delete** (the default): nothing about the informant survives – their key-list
  entry and its history, their consent records and history, attendance,
  attribute values, signed consent forms (rows and bytes), the excerpts they
  speak in (and those excerpts' history), their speech in every transcript (an
  individual interview is deleted with its versions; a group transcript gets a
  new version with each of their turns replaced by "[…]", and its earlier
  versions, which still hold the speech, are deleted), every quote of them in
  memos, and finally the informant row itself;
* **anonymise**: the key-list entry and its history go, identifying fields are
  cleared and the code becomes a neutral "Anonymisert N"; consent history,
  attendance and excerpts stay, the excerpts no longer linked to them.

Both mark the recordings of sessions where they were the only informant present
as deleted, invalidate every report that contains them, strip their code from
audit rows, and leave a :class:`~cases.models.WithdrawalTombstone` with counts
only. Files are removed from storage after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from cases.models import (
    AttributeValue,
    AuditEvent,
    ConsentRecord,
    IdentityRecord,
    Informant,
    ReportJob,
    StoredFile,
    Study,
    User,
    WithdrawalTombstone,
)
from interviews.importers import read_pasted
from interviews.models import (
    Attendance,
    CodingAction,
    Excerpt,
    Memo,
    Recording,
    Session,
    Source,
    SpeakerLabel,
    SpeakerTurn,
)
from interviews.services.sources import source_new_version

from .audit import audit_record
from .consent import consent_current, consent_withdraw
from .reports import report_ids_containing, reports_invalidate_for_informant

REDACTED = "[…]"
QUOTE_MIN_CHARS = 20
AUDIT_PLACEHOLDER = "withdrawn"
ANONYMOUS_PREFIX = "Anonymisert"
PRESENT = (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE)
REPORT_MESSAGE = "An informant whose data this report contained has withdrawn."
RECORDING_NOTE = "Marked deleted: the only informant in this recording withdrew."

ExcerptSpeaker = Excerpt.speakers.through
HistoricalExcerpt = Excerpt.history.model
HistoricalIdentityRecord = IdentityRecord.history.model
HistoricalConsentRecord = ConsentRecord.history.model


# The plan: what a withdrawal will touch, read before anything is written ---------------------------------------------


@dataclass
class WithdrawalPlan:
    """What withdrawing ``informant`` touches under ``action``; the confirmation page shows its counts."""

    informant: Informant
    action: str
    speaker_excerpt_ids: set[int] = field(default_factory=set)
    excerpt_ids_to_delete: set[int] = field(default_factory=set)
    sources_to_delete: list[Source] = field(default_factory=list)
    sources_to_redact: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    quotes: list[str] = field(default_factory=list)
    file_ids: list[int] = field(default_factory=list)
    report_ids: list[int] = field(default_factory=list)
    recording_ids: list[int] = field(default_factory=list)
    group_recordings_kept: int = 0
    memo_ids_to_redact: list[int] = field(default_factory=list)

    @property
    def deletes(self) -> bool:
        return self.action == Study.WithdrawalAction.DELETE

    @property
    def counts(self) -> dict[str, int]:
        """The figures the confirmation page shows (and the tombstone later confirms)."""
        if self.deletes:
            return {
                "excerpts": len(self.excerpt_ids_to_delete),
                "sources_deleted": len(self.sources_to_delete),
                "sources_redacted": len(self.sources_to_redact),
                "files": len(self.file_ids),
                "reports": len(self.report_ids),
                "memos": len(self.memo_ids_to_redact),
                "recordings": len(self.recording_ids),
            }
        return {
            "excerpts": len(self.speaker_excerpt_ids),
            "sources_deleted": 0,
            "sources_redacted": 0,
            "files": len(self.file_ids),
            "reports": len(self.report_ids),
            "memos": 0,
            "recordings": len(self.recording_ids),
        }


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _speech_span(text: str, label_end: int, end: int) -> tuple[int, int] | None:
    """The words of a turn, without the line ends before the next label (they keep the layout)."""
    speech = text[label_end:end].rstrip()
    return (label_end, label_end + len(speech)) if speech else None


def _versions(source: Source) -> list[Source]:
    """``source`` and its earlier versions, newest first (the order they can be deleted in)."""
    versions = [source]
    while versions[-1].previous_version_id:
        versions.append(Source.objects.get(pk=versions[-1].previous_version_id))
    return versions


def withdrawal_plan(informant: Informant) -> WithdrawalPlan:
    """Read what a withdrawal of ``informant`` would touch under the study's policy; writes nothing."""
    study = informant.study
    plan = WithdrawalPlan(informant=informant, action=study.withdrawal_action)
    plan.speaker_excerpt_ids = set(
        ExcerptSpeaker.objects.filter(informant_id=informant.pk).values_list("excerpt_id", flat=True)
    )
    form_ids = set(
        ConsentRecord.objects.filter(informant=informant, form__isnull=False).values_list("form_id", flat=True)
    ) | set(
        HistoricalConsentRecord.objects.filter(informant_id=informant.pk, form__isnull=False).values_list(
            "form_id", flat=True
        )
    )
    plan.file_ids = sorted(StoredFile.objects.filter(study=study, pk__in=form_ids).values_list("pk", flat=True))
    plan.report_ids = sorted(
        ReportJob.objects.filter(pk__in=report_ids_containing(study, informant.pk))
        .filter(Q(state=ReportJob.State.DONE) | ~Q(file=""))
        .values_list("pk", flat=True)
    )
    others_present = Attendance.objects.filter(session=OuterRef("pk"), status__in=PRESENT).exclude(informant=informant)
    sessions = (
        Session.objects.filter(study=study, attendances__informant=informant, attendances__status__in=PRESENT)
        .annotate(shared=Exists(others_present))
        .values_list("pk", "shared")
    )
    alone = [pk for pk, shared in sessions if not shared]
    shared = [pk for pk, is_shared in sessions if is_shared]
    plan.recording_ids = sorted(
        Recording.objects.filter(session_id__in=alone, deleted_on__isnull=True).values_list("pk", flat=True)
    )
    plan.group_recordings_kept = Recording.objects.filter(session_id__in=shared, deleted_on__isnull=True).count()
    if plan.deletes:
        _plan_text(plan)
    return plan


def _plan_text(plan: WithdrawalPlan) -> None:
    """Which sources go, which get a redacted version, which excerpts go and which quotes leave the memos."""
    informant = plan.informant
    turns = SpeakerTurn.objects.filter(
        source__study_id=informant.study_id, source__is_current=True, speaker__informant_id=informant.pk
    ).values_list("source_id", "label_end", "end")
    turns_by_source: dict[int, list[tuple[int, int]]] = {}
    for source_id, label_end, end in turns:
        turns_by_source.setdefault(source_id, []).append((label_end, end))
    # A source where anyone but the moderator and this informant speaks is a group source.
    shared = set(
        SpeakerTurn.objects.filter(source_id__in=list(turns_by_source))
        .exclude(speaker__role=SpeakerLabel.Role.MODERATOR)
        .exclude(speaker__informant_id=informant.pk)
        .values_list("source_id", flat=True)
    )
    individual_ids = set(turns_by_source) - shared
    own_excerpts = list(
        Excerpt.objects.filter(pk__in=plan.speaker_excerpt_ids).values_list(
            "source_id", "start", "end", "text", "speakers_overridden", "source__is_current"
        )
    )
    plan.quotes = sorted(
        {text for *_rest, text, _overridden, _current in own_excerpts if len(text) >= QUOTE_MIN_CHARS},
        key=len,
        reverse=True,
    )
    # Speakers set by hand are not in the turns: their whole excerpt is the informant's.
    spans: dict[int, list[tuple[int, int]]] = {}
    texts = dict(
        Source.objects.filter(pk__in=list(turns_by_source)).exclude(pk__in=individual_ids).values_list("pk", "text")
    )
    for source_id, text in texts.items():
        for label_end, end in turns_by_source[source_id]:
            span = _speech_span(text, label_end, end)
            if span:
                spans.setdefault(source_id, []).append(span)
    for source_id, start, end, _text, overridden, current in own_excerpts:
        if overridden and current and source_id not in individual_ids:
            spans.setdefault(source_id, []).append((start, end))
    plan.sources_to_redact = {source_id: _merge(found) for source_id, found in spans.items()}
    plan.sources_to_delete = list(Source.objects.filter(pk__in=individual_ids).order_by("pk"))
    doomed_versions = [version.pk for source in plan.sources_to_delete for version in _versions(source)]

    doomed = set(plan.speaker_excerpt_ids)
    doomed |= set(Excerpt.objects.filter(source_id__in=doomed_versions).values_list("pk", flat=True))
    rows = Excerpt.objects.filter(source_id__in=list(plan.sources_to_redact)).values_list(
        "pk", "source_id", "start", "end"
    )
    for pk, source_id, start, end in rows:
        if any(start < span_end and end > span_start for span_start, span_end in plan.sources_to_redact[source_id]):
            doomed.add(pk)
    plan.excerpt_ids_to_delete = doomed
    plan.memo_ids_to_redact = (
        sorted(
            Memo.objects.filter(study_id=informant.study_id)
            .exclude(source_id__in=doomed_versions)
            .filter(_quoting(plan.quotes, "title", "text"))
            .values_list("pk", flat=True)
        )
        if plan.quotes
        else []
    )


def _quoting(quotes: list[str], *fields: str) -> Q:
    condition = Q(pk__in=[])
    for quote in quotes:
        for name in fields:
            condition |= Q(**{f"{name}__contains": quote})
    return condition


def _redact(text: str, quotes: list[str]) -> str:
    for quote in quotes:  # longest first, so a quote inside another goes with it
        text = text.replace(quote, REDACTED)
    return text


# Carrying it out -----------------------------------------------------------------------------------------------------


def _delete_files(study: Study, file_ids: list[int]) -> int:
    files = list(StoredFile.objects.filter(study=study, pk__in=file_ids))
    storage = StoredFile._meta.get_field("file").storage
    for stored in files:
        name = stored.file.name
        # After the commit: a rolled-back withdrawal must not have lost the bytes.
        transaction.on_commit(lambda name=name: storage.delete(name))
    StoredFile.objects.filter(pk__in=[stored.pk for stored in files]).delete()
    return len(files)


def _mark_recordings(recording_ids: list[int], today: dt.date) -> int:
    recordings = list(Recording.objects.filter(pk__in=recording_ids, deleted_on__isnull=True))
    for recording in recordings:
        recording.deleted_on = today
        recording.notes = f"{recording.notes}\n{RECORDING_NOTE}".strip()
    Recording.objects.bulk_update(recordings, ["deleted_on", "notes"])
    return len(recordings)


def _delete_identity(informant: Informant) -> int:
    deleted, _rows = IdentityRecord.objects.filter(informant=informant).delete()
    # Deleting writes one more history row; the history goes with the record.
    history, _rows = HistoricalIdentityRecord.objects.filter(informant_id=informant.pk).delete()
    return deleted + history


def _token(code: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(code)}(?!\w)")


def _scrub_value(value: Any, code: str, token: re.Pattern[str]) -> tuple[bool, Any]:
    """(keep, scrubbed value): a value that *is* the code is dropped; lists and texts lose it."""
    if value == code:
        return False, None
    if isinstance(value, str):
        return True, token.sub(AUDIT_PLACEHOLDER, value)
    if isinstance(value, list):
        return True, [_scrub_value(item, code, token)[1] for item in value if item != code]
    if isinstance(value, dict):
        return True, _scrub_data(value, code, token)
    return True, value


def _scrub_data(data: dict, code: str, token: re.Pattern[str]) -> dict:
    cleaned = {}
    for key, value in data.items():
        keep, scrubbed = _scrub_value(value, code, token)
        if keep and key != code:
            cleaned[key] = scrubbed
    return cleaned


def _scrub_audit(study: Study, informant_id: int, identity_id: int | None, code: str) -> int:
    """Take the informant's code out of every audit row of the study; returns how many rows changed."""
    token = _token(code)
    about = Q(target_type=Informant._meta.label_lower, target_id=informant_id)
    if identity_id is not None:
        about |= Q(target_type=IdentityRecord._meta.label_lower, target_id=identity_id)
    rows = list(
        AuditEvent.objects.filter(study=study)
        .annotate(data_text=Cast("data", TextField()))
        .filter(about | Q(target_label__contains=code) | Q(data_text__contains=code))
    )
    changed = []
    for row in rows:
        targets_them = (row.target_type, row.target_id) in {
            (Informant._meta.label_lower, informant_id),
            (IdentityRecord._meta.label_lower, identity_id),
        }
        label = AUDIT_PLACEHOLDER if targets_them else token.sub(AUDIT_PLACEHOLDER, row.target_label)
        data = _scrub_data(row.data, code, token) if isinstance(row.data, dict) else row.data
        if label != row.target_label or data != row.data:
            row.target_label, row.data = label, data
            changed.append(row)
    AuditEvent.objects.bulk_update(changed, ["target_label", "data"])
    return len(changed)


def _redact_texts(plan: WithdrawalPlan, counts: dict[str, int]) -> None:
    """Replace every quote of the informant in memos, other excerpts' notes, their history and session memos."""
    quotes = plan.quotes
    if not quotes:
        return
    study_id = plan.informant.study_id
    memos = list(Memo.objects.filter(pk__in=plan.memo_ids_to_redact))
    for memo in memos:
        memo.title, memo.text = _redact(memo.title, quotes)[:200], _redact(memo.text, quotes)
    Memo.objects.bulk_update(memos, ["title", "text"])
    counts["memos_redacted"] = len(memos)

    excerpts = list(Excerpt.objects.filter(study_id=study_id).filter(_quoting(quotes, "memo", "condensed_meaning")))
    for excerpt in excerpts:
        excerpt.memo = _redact(excerpt.memo, quotes)
        excerpt.condensed_meaning = _redact(excerpt.condensed_meaning, quotes)
    Excerpt.objects.bulk_update(excerpts, ["memo", "condensed_meaning"])
    counts["excerpt_notes_redacted"] = len(excerpts)

    history = list(
        HistoricalExcerpt.objects.filter(study_id=study_id).filter(_quoting(quotes, "memo", "condensed_meaning"))
    )
    for row in history:
        row.memo = _redact(row.memo, quotes)
        row.condensed_meaning = _redact(row.condensed_meaning, quotes)
    HistoricalExcerpt.objects.bulk_update(history, ["memo", "condensed_meaning"])
    counts["excerpt_history_redacted"] = len(history)

    sessions = list(Session.objects.filter(study_id=study_id).filter(_quoting(quotes, "reflexive_memo")))
    for session in sessions:
        session.reflexive_memo = _redact(session.reflexive_memo, quotes)
    Session.objects.bulk_update(sessions, ["reflexive_memo"])
    counts["session_memos_redacted"] = len(sessions)
    counts["observation_texts_redacted"] = _redact_observation_texts(study_id, quotes)


def _redact_observation_texts(study_id: int, quotes: list[str]) -> int:
    """Quotes written into observed meetings' typed notes, checklist notes and recorded disagreements."""
    from interviews.models import ChecklistTick, FieldNoteDisagreement, ObservationNote

    changed = 0
    for model, fields in (
        (ObservationNote, ("text",)),
        (ChecklistTick, ("note",)),
        (FieldNoteDisagreement, ("topic", "first_view", "second_view", "resolution")),
    ):
        rows = list(model.objects.filter(session__study_id=study_id).filter(_quoting(quotes, *fields)))
        for row in rows:
            for name in fields:
                setattr(row, name, _redact(getattr(row, name), quotes))
        model.objects.bulk_update(rows, list(fields))
        changed += len(rows)
    return changed


def _delete_excerpts(plan: WithdrawalPlan) -> int:
    ids = list(plan.excerpt_ids_to_delete)
    if not ids:
        return 0
    # Undo records of these excerpts carry their text and would bring them back.
    CodingAction.objects.filter(study_id=plan.informant.study_id, excerpt_id__in=ids).delete()
    excerpts = Excerpt.objects.filter(pk__in=ids)
    count = excerpts.count()
    excerpts.delete()
    # Deleting wrote a history row per excerpt; all their history goes.
    HistoricalExcerpt.objects.filter(id__in=ids).delete()
    return count


def _redact_sources(plan: WithdrawalPlan, actor: User, counts: dict[str, int]) -> None:
    """Give each group source a version without the informant's words, and drop the versions that had them."""
    for source in Source.objects.filter(pk__in=list(plan.sources_to_redact)).order_by("pk"):
        text = source.text
        for start, end in reversed(plan.sources_to_redact[source.pk]):
            text = text[:start] + REDACTED + text[end:]
        if text == source.text:
            continue
        result = source_new_version(source=source, actor=actor, imported=read_pasted(text))
        counts["sources_redacted"] += 1
        counts["excerpts_needing_reanchor"] += result.needs_reanchor
        for version in _versions(source):
            version.delete()
            counts["source_versions_deleted"] += 1


def _delete_sources(plan: WithdrawalPlan, counts: dict[str, int]) -> None:
    for source in plan.sources_to_delete:
        versions = _versions(source)
        ids = [version.pk for version in versions]
        counts["memos_deleted"] += Memo.objects.filter(source_id__in=ids).delete()[1].get(Memo._meta.label, 0)
        for version in versions:  # newest first: a version's successor points at it
            version.delete()
        counts["sources_deleted"] += 1
        counts["source_versions_deleted"] += len(versions) - 1


def _purge_consent(informant: Informant) -> int:
    deleted, _rows = ConsentRecord.objects.filter(informant=informant).delete()
    history, _rows = HistoricalConsentRecord.objects.filter(informant_id=informant.pk).delete()
    return deleted + history


def _anonymous_code(study: Study) -> str:
    taken = set(Informant.objects.filter(study=study, code__startswith=ANONYMOUS_PREFIX).values_list("code", flat=True))
    number = len(taken) + 1
    while f"{ANONYMOUS_PREFIX} {number}" in taken:
        number += 1
    return f"{ANONYMOUS_PREFIX} {number}"


def _perform_delete(plan: WithdrawalPlan, actor: User, today: dt.date, counts: dict[str, int]) -> None:
    informant = plan.informant
    counts["excerpts_deleted"] = _delete_excerpts(plan)
    _redact_sources(plan, actor, counts)
    _delete_sources(plan, counts)
    _redact_texts(plan, counts)
    counts["identity_rows_deleted"] = _delete_identity(informant)
    counts["files_deleted"] = _delete_files(informant.study, plan.file_ids)
    counts["consent_rows_deleted"] = _purge_consent(informant)
    counts["attendance_deleted"] = Attendance.objects.filter(informant=informant).delete()[0]
    counts["attribute_values_deleted"] = AttributeValue.objects.filter(informant=informant).delete()[0]
    Informant.objects.filter(pk=informant.pk).delete()


def _perform_anonymise(plan: WithdrawalPlan, actor: User, withdrawn_on: dt.date, counts: dict[str, int]) -> None:
    informant = plan.informant
    current = consent_current(informant)
    if current is None or current.state != ConsentRecord.State.WITHDRAWN:
        consent_withdraw(informant=informant, actor=actor, withdrawn_on=withdrawn_on)
    counts["identity_rows_deleted"] = _delete_identity(informant)
    counts["attribute_values_deleted"] = AttributeValue.objects.filter(informant=informant).delete()[0]
    counts["files_deleted"] = _delete_files(informant.study, plan.file_ids)
    Informant.objects.filter(pk=informant.pk).update(
        code=_anonymous_code(informant.study),
        role="",
        recruitment_channel="",
        notes="",
        status_reason="",
        relationship=Informant.Relationship.NONE,
        site=None,
        status=Informant.Status.WITHDRAWN,
        anonymised_at=timezone.now(),
    )
    # Their excerpts stay, spoken by someone no longer known: speakers stated by hand, without them.
    ids = list(plan.speaker_excerpt_ids)
    ExcerptSpeaker.objects.filter(informant_id=informant.pk).delete()
    Excerpt.objects.filter(pk__in=ids).update(speakers_overridden=True)
    SpeakerLabel.objects.filter(informant_id=informant.pk).update(informant=None)
    counts["excerpts_unlinked"] = len(ids)


@transaction.atomic
def informant_withdraw(*, informant: Informant, actor: User, withdrawn_on: dt.date) -> WithdrawalTombstone | None:
    """Carry out an informant's withdrawal as the study's information letter promised (delete or anonymise).

    Before: ``informant`` belongs to a study the actor may edit. After, in one
    transaction: see the module docstring; a tombstone with counts only and one
    ``informant.withdrawn`` audit row without the code. Returns the tombstone,
    or None when there is nothing left to do (already deleted or anonymised):
    withdrawing twice changes nothing.
    """
    locked = Informant.objects.select_for_update(of=("self",)).select_related("study").filter(pk=informant.pk).first()
    if locked is None or locked.anonymised_at is not None:
        return None
    study = locked.study
    code = locked.code
    identity_id = IdentityRecord.objects.filter(informant=locked).values_list("pk", flat=True).first()
    plan = withdrawal_plan(locked)
    counts: dict[str, int] = {
        "excerpts_deleted": 0,
        "excerpts_unlinked": 0,
        "excerpts_needing_reanchor": 0,
        "sources_deleted": 0,
        "sources_redacted": 0,
        "source_versions_deleted": 0,
        "memos_redacted": 0,
        "memos_deleted": 0,
    }
    today = timezone.localdate()
    if plan.deletes:
        _perform_delete(plan, actor, today, counts)
    else:
        _perform_anonymise(plan, actor, withdrawn_on, counts)
    counts["recordings_marked_deleted"] = _mark_recordings(plan.recording_ids, today)
    # Anonymising records the consent withdrawal first, which may already have made these reports stale.
    reports_invalidate_for_informant(
        informant_id=locked.pk, study=study, actor=actor, reason=REPORT_MESSAGE, forget=True
    )
    counts["reports_invalidated"] = len(plan.report_ids)
    counts["audit_rows_scrubbed"] = _scrub_audit(study, locked.pk, identity_id, code)
    tombstone = WithdrawalTombstone(
        study=study, action=plan.action, withdrawn_on=withdrawn_on, performed_by=actor, counts=counts
    )
    tombstone.full_clean()
    tombstone.save()
    audit_record(
        study=study,
        actor=actor,
        action="informant.withdrawn",
        target=tombstone,
        label=str(Study.WithdrawalAction(plan.action).label),
        **counts,
    )
    return tombstone
