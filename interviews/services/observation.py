"""Observed meetings: other attendees, the agenda, the guide's checklist, typed notes, reconciling two observers.

Every write checks that what it links belongs to the same meeting (a point of the
meeting's own observation guide, field notes of the same session) and is audited
in its transaction. Audit rows carry ids, kinds and counts, never note text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from cases.models import GuideQuestion, Instrument, Membership, User
from cases.services.audit import audit_record
from cases.services.files import stored_file_check, stored_file_create, uploads_discarded_on_failure
from cases.services.records import record_create, record_delete, record_update
from cases.services.reidentification import WarningKind, reidentification_warnings
from interviews.importers import ImportedText, normalise_text
from interviews.models import ChecklistTick, FieldNoteDisagreement, ObservationNote, OtherAttendee, Session, Source

from .sources import source_create

AGENDA_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    }
)


# Who was there -------------------------------------------------------------------------------------------------------


def other_attendee_add(*, session: Session, actor: User, kind: str, role: str, count: int = 1) -> OtherAttendee:
    """Record someone present who is not an informant (or the researcher) by role; names are never asked for.

    A role that contains a name from the study's key list is refused: the key list stays the only place for names.
    """
    names = [
        warning
        for warning in reidentification_warnings(study=session.study, texts=[("role", role)])
        if warning.in_text and warning.kind == WarningKind.KEY_LIST_NAME
    ]
    if names:
        raise ValidationError({"role": _("Describe the person by role only: this contains a name from the key list.")})
    attendee = OtherAttendee(session=session, kind=kind, role=role.strip(), count=count)
    return record_create(
        study=session.study, actor=actor, instance=attendee, action="other_attendee.added", label=session.code
    )


def other_attendee_remove(*, attendee: OtherAttendee, actor: User) -> None:
    record_delete(
        study=attendee.session.study,
        actor=actor,
        instance=attendee,
        action="other_attendee.removed",
        label=attendee.session.code,
    )


# Agenda --------------------------------------------------------------------------------------------------------------


def session_agenda_attach(
    *, session: Session, actor: User, upload: UploadedFile | None = None, text: str = ""
) -> Source | None:
    """Attach the meeting's agenda: the file (PDF, Word or OpenDocument, checked by content), its text, or both.

    The file replaces the session's earlier agenda link. The text becomes a source of
    kind document linked to the session, so the agenda can be coded and quoted (study-002
    quotes one as a block quote); it is returned.
    """
    if upload is None and not text.strip():
        raise ValidationError(_("Attach the agenda file or paste its text."))
    if upload is not None:
        stored_file_check(upload, allowed=AGENDA_TYPES)
    source = None
    with uploads_discarded_on_failure(), transaction.atomic():
        if upload is not None:
            stored = stored_file_create(study=session.study, actor=actor, upload=upload, allowed=AGENDA_TYPES)
            session.agenda = stored
            session.save(update_fields=["agenda"])
            audit_record(
                study=session.study,
                actor=actor,
                action="session.agenda_attached",
                target=session,
                label=session.code,
                file_id=stored.pk,
            )
        if text.strip():
            with translation.override(session.study.language):
                title = _("Agenda %(code)s") % {"code": session.code}
            source = source_create(
                study=session.study,
                actor=actor,
                imported=ImportedText(text=normalise_text(text), format=Source.Format.PASTED),
                title=title,
                kind=Source.Kind.DOCUMENT,
                session=session,
            )
    return source


# Checklist -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TickInput:
    """One point's answer; an empty ``answer`` means "not recorded" and removes an earlier tick."""

    question_id: int
    answer: str
    note: str = ""


def checklist_points(session: Session) -> list[GuideQuestion]:
    """The points of the meeting's observation guide, in guide order; none if it used no observation guide."""
    version = session.guide_version
    if version is None or version.instrument.kind != Instrument.Kind.OBSERVATION_GUIDE:
        return []
    return list(
        GuideQuestion.objects.filter(theme__version=version)
        .select_related("theme__version__instrument")
        .order_by("theme__position", "theme_id", "position", "id")
    )


def checklist_save(*, session: Session, actor: User, ticks: list[TickInput]) -> int:
    """Save the meeting's checklist: every tick or none. Returns how many points changed.

    Before: each ``question_id`` is a point of the session's own observation guide.
    After: one ChecklistTick per answered point, none for a point left open, one audit row.
    """
    points = {point.pk: point for point in checklist_points(session)}
    if not points:
        raise ValidationError(_("Choose an observation guide for this meeting first (Edit the session)."))
    foreign = [tick.question_id for tick in ticks if tick.question_id not in points]
    if foreign:
        raise ValidationError(_("Nothing was saved: a point does not belong to this meeting's observation guide."))
    valid_answers = set(ChecklistTick.Answer.values) | {""}
    if any(tick.answer not in valid_answers for tick in ticks):
        raise ValidationError(_("Nothing was saved: an answer must be yes, no or not applicable."))
    existing = {tick.question_id: tick for tick in session.checklist_ticks.all()}
    changed = 0
    with transaction.atomic():
        for tick in ticks:
            current = existing.get(tick.question_id)
            note = tick.note.strip()
            if not tick.answer:
                if current is not None:
                    current.delete()
                    changed += 1
                continue
            if current is not None and (current.answer, current.note) == (tick.answer, note):
                continue
            row = current or ChecklistTick(session=session, question=points[tick.question_id])
            row.answer, row.note, row.ticked_by = tick.answer, note, actor
            row.full_clean()
            row.save()
            changed += 1
        if changed:
            audit_record(
                study=session.study,
                actor=actor,
                action="checklist.saved",
                target=session,
                label=session.code,
                changed=changed,
            )
    return changed


# Typed notes ---------------------------------------------------------------------------------------------------------


def _check_member(session: Session, user: User) -> None:
    if not Membership.objects.filter(study_id=session.study_id, user=user).exists():
        raise ValidationError({"observer": _("The observer must be a member of this study.")})


def observation_note_add(
    *, session: Session, actor: User, observer: User, note_type: str, text: str
) -> ObservationNote:
    _check_member(session, observer)
    note = ObservationNote(session=session, observer=observer, note_type=note_type, text=text.strip())
    return record_create(
        study=session.study,
        actor=actor,
        instance=note,
        action="observation_note.added",
        label=f"{session.code}/{note_type}",
    )


def observation_note_delete(*, note: ObservationNote, actor: User) -> None:
    record_delete(
        study=note.session.study,
        actor=actor,
        instance=note,
        action="observation_note.deleted",
        label=note.session.code,
    )


def observation_notes_text(notes: list[ObservationNote]) -> str:
    """One observer's typed notes as plain text, grouped by note type in a fixed order."""
    blocks = []
    for note_type, label in ObservationNote.NoteType.choices:
        texts = [note.text for note in notes if note.note_type == note_type]
        if texts:
            blocks.append(f"{label}\n" + "\n\n".join(texts))
    return "\n\n".join(blocks)


def observation_notes_to_source(*, session: Session, actor: User, observer: User) -> Source:
    """Make one observer's typed notes of the meeting a field-notes source that can be coded.

    The text is fixed from then on (offsets are a contract); later notes go into a new source. Asking twice
    without new notes returns the source already made, so a double click makes no duplicate.
    """
    notes = list(session.observation_notes.filter(observer=observer))
    if not notes:
        raise ValidationError(_("This observer has no notes from the meeting yet."))
    # The headings are data the chapter quotes from: written in the study's language, not the reader's.
    with translation.override(session.study.language):
        text = observation_notes_text(notes)
        title = _("%(code)s field notes (%(observer)s)") % {"code": session.code, "observer": observer.display_name}
    made = session.sources.filter(kind=Source.Kind.FIELD_NOTES, observer=observer, is_current=True, text=text).first()
    if made is not None:
        return made
    return source_create(
        study=session.study,
        actor=actor,
        imported=ImportedText(text=text, format=Source.Format.PASTED),
        title=title[:200],
        kind=Source.Kind.FIELD_NOTES,
        session=session,
        observer=observer,
    )


# Reconciling two observers -------------------------------------------------------------------------------------------


def reconciled_notes_create(*, session: Session, actor: User, title: str, text: str) -> Source:
    """The version of the meeting's field notes the researchers agree on; a source coded like a transcript."""
    if not session.sources.filter(kind=Source.Kind.FIELD_NOTES).exists():
        raise ValidationError(_("Add the observers' field notes of this meeting first."))
    return source_create(
        study=session.study,
        actor=actor,
        imported=ImportedText(text=text, format=Source.Format.PASTED),
        title=title,
        kind=Source.Kind.RECONCILED_NOTES,
        session=session,
    )


def disagreement_record(
    *,
    session: Session,
    actor: User,
    topic: str,
    first_source: Source,
    first_view: str,
    second_source: Source,
    second_view: str,
    resolution: str = "",
) -> FieldNoteDisagreement:
    """Record where two observers' notes of the same meeting disagree; both sources must be this meeting's field notes."""
    disagreement = FieldNoteDisagreement(
        session=session,
        topic=topic.strip(),
        first_source=first_source,
        first_view=first_view.strip(),
        second_source=second_source,
        second_view=second_view.strip(),
        resolution=resolution.strip(),
        created_by=actor,
    )
    return record_create(
        study=session.study,
        actor=actor,
        instance=disagreement,
        action="disagreement.recorded",
        label=session.code,
    )


def disagreement_resolve(*, disagreement: FieldNoteDisagreement, actor: User, resolution: str) -> FieldNoteDisagreement:
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how the disagreement was resolved.")})
    return record_update(
        study=disagreement.session.study,
        actor=actor,
        instance=disagreement,
        action="disagreement.resolved",
        data={"resolution": resolution.strip()},
        label=disagreement.session.code,
    )
