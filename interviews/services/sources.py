"""Sources: import, metadata, speaker labels, normalisation before coding, new versions after.

A source's text is the fixed reference for every excerpt offset. While nothing
is coded it may be normalised (each edit logged in ``SourceEdit``); once an
excerpt exists it never changes: :func:`source_new_version` makes a new
``Source`` row and moves the excerpts to it, re-finding each excerpt's own text
and flagging those it cannot find — never shifting one onto other words.

Audit rows name sources by id and carry lengths and counts, never text.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Informant, Membership, Study, User
from cases.precompiled import Precompiled
from cases.rows import PARENT_ID, Columns, KeyOf, ParentIdText, insert_together
from cases.services.audit import audit_event, audit_record
from cases.services.records import record_update
from interviews import importers
from interviews.importers import ImportedText
from interviews.models import Excerpt, Memo, Session, Source, SourceEdit, SpeakerLabel, SpeakerTurn

METADATA_FIELDS = ("title", "kind", "session", "observer")


def _check_metadata(study: Study, *, kind: str, session: Session | None, observer: User | None) -> None:
    errors: dict[str, str] = {}
    if session is not None and session.study_id != study.pk:
        errors["session"] = _("Choose a session of this study.")
    if observer is not None:
        if kind != Source.Kind.FIELD_NOTES:
            errors["observer"] = _("Only field notes have an observer. Leave it empty for this kind of source.")
        elif not Membership.objects.filter(study=study, user=observer).exists():
            errors["observer"] = _("The observer must be a member of this study.")
    if errors:
        raise ValidationError(errors)


# Speaker labels and turns --------------------------------------------------------------------------------------------


def _guess_role(label: str, informants_by_code: dict[str, Informant]) -> tuple[str, Informant | None]:
    key = label.casefold()
    if key in informants_by_code:
        return SpeakerLabel.Role.INFORMANT, informants_by_code[key]
    if key in importers.MODERATOR_LABELS:
        return SpeakerLabel.Role.MODERATOR, None
    return SpeakerLabel.Role.UNIDENTIFIED, None


def _detect_turns(source: Source, keep_mapping: dict[str, tuple[str, int | None]] | None = None) -> int:
    """Replace the source's labels and turns with those found in its text; the number of labels.

    A label already mapped (in ``keep_mapping``, keyed by the label folded to
    lower case) keeps its mapping; a new one gets a guess. (A new source gets
    its labels and turns in :func:`source_create`'s one statement.)
    """
    SpeakerTurn.objects.filter(source=source).delete()
    SpeakerLabel.objects.filter(source=source).delete()
    labels, turns = speaker_turns_find(source, _informants_by_code(source.study_id), keep_mapping)
    SpeakerLabel.objects.bulk_create(labels)
    SpeakerTurn.objects.bulk_create(turns)
    return len(labels)


# Read on every import: through the ORM this took 0.84 ms, of which running the query 0.13.
_INFORMANT_CODES = Precompiled(
    lambda study: Informant.objects.filter(study_id=study).values_list("pk", "code"), "study"
)


def _informants_by_code(study_id: int) -> dict[str, Informant]:
    """The study's informants by their code folded to lower case, for guessing whom a speaker label stands for.

    Each is loaded with its key and code only, like ``.only("pk", "code")``.
    """
    alias = _INFORMANT_CODES.alias(Informant)
    return {
        code.casefold(): Informant.from_db(alias, ["id", "code"], (pk, code))
        for pk, code in _INFORMANT_CODES.rows(model=Informant, study=study_id)
    }


def speaker_turns_find(
    source: Source,
    informants_by_code: dict[str, Informant],
    keep_mapping: dict[str, tuple[str, int | None]] | None = None,
) -> tuple[list[SpeakerLabel], list[SpeakerTurn]]:
    """The speaker labels and turns found in the source's text, unsaved (labels first: the turns point at them)."""
    found = importers.find_speaker_turns(source.text, informants_by_code)
    labels = {
        label: SpeakerLabel(source=source, label=label, role=role, informant_id=informant_id)
        for label, (role, informant_id) in _label_roles(found, informants_by_code, keep_mapping).items()
    }
    turns = [
        SpeakerTurn(source=source, speaker=labels[turn.label], start=turn.start, end=turn.end, label_end=turn.label_end)
        for turn in found
    ]
    return list(labels.values()), turns


def _label_roles(
    found: list[importers.FoundTurn],
    informants_by_code: dict[str, Informant],
    keep_mapping: dict[str, tuple[str, int | None]] | None = None,
) -> dict[str, tuple[str, int | None]]:
    """Each label of the turns found, in the order first found, with its role and informant: kept or guessed."""
    roles: dict[str, tuple[str, int | None]] = {}
    for turn in found:
        if turn.label in roles:
            continue
        kept = (keep_mapping or {}).get(turn.label.casefold())
        if kept is not None:
            roles[turn.label] = kept
        else:
            role, informant = _guess_role(turn.label, informants_by_code)
            roles[turn.label] = role, informant.pk if informant else None
    return roles


def _current_mapping(source: Source) -> dict[str, tuple[str, int | None]]:
    return {
        label.casefold(): (role, informant_id)
        for label, role, informant_id in source.speaker_labels.values_list("label", "role", "informant_id")
    }


def _unknown_speaker_turns() -> Q:
    """Turns whose speaker is not a known informant and not the moderator (as in ``speakers_in_range``)."""
    return Q(speaker__role=SpeakerLabel.Role.UNIDENTIFIED) | Q(
        speaker__role=SpeakerLabel.Role.INFORMANT, speaker__informant__isnull=True
    )


def speakers_derive_for_source(source: Source, excerpt_ids: Iterable[int] | None = None) -> int:
    """Derive the speakers of the source's excerpts from its turns, in a fixed number of queries.

    The same rule as ``interviews.services.excerpts.speakers_in_range``: a turn
    overlaps an excerpt when it starts before the excerpt ends and ends after it
    starts; informants mapped to overlapping turns are its speakers; an
    overlapping turn of an unidentified or unmapped label sets
    ``has_unknown_speaker``. Excerpts whose speakers were set by hand are left
    alone. Returns how many excerpts were derived.
    """
    excerpts = Excerpt.objects.filter(source=source, speakers_overridden=False)
    if excerpt_ids is not None:
        excerpts = excerpts.filter(pk__in=list(excerpt_ids))
    rows = list(excerpts.values_list("pk", "start", "end"))
    if not rows:
        return 0
    turns = list(
        SpeakerTurn.objects.of_source(source)
        .filter(speaker__role=SpeakerLabel.Role.INFORMANT, speaker__informant__isnull=False)
        .order_by("end", "start")
        .values_list("start", "end", "speaker__informant_id")
    )
    ends = [end for _start, end, _informant in turns]
    through = Excerpt.speakers.through
    pairs = []
    for excerpt_id, start, end in rows:
        speakers: set[int] = set()
        # Turns never overlap, so ordered by end they are ordered by start too: skip those ending
        # at or before the excerpt's start, stop at the first starting at or after its end.
        index = bisect.bisect_right(ends, start)
        while index < len(turns) and turns[index][0] < end:
            speakers.add(turns[index][2])
            index += 1
        pairs.extend(through(excerpt_id=excerpt_id, informant_id=informant_id) for informant_id in speakers)
    ids = [row[0] for row in rows]
    through.objects.filter(excerpt_id__in=ids).delete()
    through.objects.bulk_create(pairs, batch_size=1000)
    unknown = SpeakerTurn.objects.overlapping(source, OuterRef("start"), OuterRef("end")).filter(
        _unknown_speaker_turns()
    )
    Excerpt.objects.filter(pk__in=ids).update(has_unknown_speaker=Exists(unknown))
    return len(ids)


# Creating and editing ------------------------------------------------------------------------------------------------


def source_create(
    *,
    study: Study,
    actor: User,
    imported: ImportedText,
    title: str,
    kind: str = Source.Kind.TRANSCRIPT,
    session: Session | None = None,
    observer: User | None = None,
) -> Source:
    """Create a source from imported text and find its speaker turns.

    Before: ``imported.text`` is normalised (``interviews.importers`` did it).
    After: the source, its speaker labels (roles guessed) and turns, and an audit row, written
    in one statement; ``source.label_count`` says how many labels were found.
    """
    _check_metadata(study, kind=kind, session=session, observer=observer)
    source = Source(
        study=study,
        session=session,
        kind=kind,
        title=title,
        observer=observer,
        text=imported.text,
        length=len(imported.text),
        imported_from=imported.format,
        original_filename=imported.filename[:255],
        detected_encoding=imported.encoding,
        created_by=actor,
    )
    # The study and the actor are rows the caller holds: no look-up to check that they exist.
    source.full_clean(exclude={"study", "created_by"})
    # As speaker_turns_find, but pointing at the source and the labels by stand-ins for the keys they will get.
    informants_by_code = _informants_by_code(study.pk)
    found = importers.find_speaker_turns(source.text, informants_by_code)
    labels = [
        SpeakerLabel(source_id=PARENT_ID, label=label, role=role, informant_id=informant_id)
        for label, (role, informant_id) in _label_roles(found, informants_by_code).items()
    ]
    # Column by column: a transcript has hundreds of turns, and an instance for each costs more than writing it.
    turns = Columns(
        SpeakerTurn,
        {
            "source_id": PARENT_ID,
            "speaker_id": [KeyOf(SpeakerLabel, "label", turn.label) for turn in found],
            "start": [turn.start for turn in found],
            "end": [turn.end for turn in found],
            "label_end": [turn.label_end for turn in found],
        },
    )
    event = audit_event(
        study=study,
        actor=actor,
        action="source.created",
        target=source,
        kind=kind,
        format=imported.format,
        encoding=imported.encoding,
        length=source.length,
        session=session.pk if session else None,
    )
    event.target_id, event.target_label = PARENT_ID, ParentIdText("source ")  # "source 12", once it has its key
    # One statement, so one transaction without a block (nor, inside the caller's, a savepoint): the source,
    # its labels, the turns pointing at their labels and the audit row naming the source.
    insert_together(source, [*labels, turns, event])
    source.label_count = len(labels)
    return source


def source_update(*, source: Source, actor: User, data: dict[str, Any]) -> Source:
    """Change a source's metadata (title, kind, session, observer); never its text."""
    unknown = set(data) - set(METADATA_FIELDS)
    if unknown:
        raise ValueError(f"source_update changes metadata only, not {sorted(unknown)}")
    _check_metadata(
        source.study,
        kind=data.get("kind", source.kind),
        session=data.get("session", source.session),
        observer=data.get("observer", source.observer),
    )
    return record_update(
        study=source.study,
        actor=actor,
        instance=source,
        action="source.updated",
        data=data,
        label=f"source {source.pk}",
    )


def source_delete(*, source: Source, actor: User) -> int:
    """Delete a source with its earlier versions; refused while any version has excerpts or memos.

    Returns how many rows (versions) were deleted.
    """
    if not source.is_current:
        raise ValidationError(_("This is an earlier version. Delete the current version of the source instead."))
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        versions = [locked]
        while versions[-1].previous_version_id:
            versions.append(Source.objects.get(pk=versions[-1].previous_version_id))
        ids = [version.pk for version in versions]
        excerpts = Excerpt.objects.filter(source_id__in=ids).count()
        if excerpts:
            raise ValidationError(
                ngettext(
                    "This source has %(count)d coded excerpt and cannot be deleted. "
                    "Remove the excerpt in the coding view first.",
                    "This source has %(count)d coded excerpts and cannot be deleted. "
                    "Remove the excerpts in the coding view first.",
                    excerpts,
                )
                % {"count": excerpts}
            )
        if Memo.objects.filter(source_id__in=ids).exists():
            raise ValidationError(_("This source has memos. Move or delete its memos first."))
        audit_record(
            study=source.study,
            actor=actor,
            action="source.deleted",
            target=source,
            label=f"source {source.pk}",
            versions=ids,
            length=source.length,
        )
        # Newest first: a version's successor points at it.
        for version in versions:
            version.delete()
    return len(ids)


@dataclass(frozen=True)
class LabelMapping:
    label: SpeakerLabel
    role: str
    informant: Informant | None = None


def speaker_mapping_save(*, source: Source, actor: User, mappings: Iterable[LabelMapping]) -> int:
    """Say whom each speaker label stands for, then derive the speakers of the source's excerpts again.

    Before: every label belongs to ``source``; an informant belongs to its study.
    After: the labels are saved, every excerpt whose speakers were not set by
    hand has its speakers from the turns, and one audit row lists the changed
    labels by id. Returns how many excerpts were derived again.
    """
    mappings = list(mappings)
    changed = []
    with transaction.atomic():
        for mapping in mappings:
            label = mapping.label
            if label.source_id != source.pk:
                raise ValidationError(_("A speaker label belongs to another source."))
            informant = mapping.informant if mapping.role == SpeakerLabel.Role.INFORMANT else None
            if mapping.role == SpeakerLabel.Role.INFORMANT and informant is None:
                raise ValidationError(_("Choose which informant “%(label)s” stands for.") % {"label": label.label})
            if informant is not None and informant.study_id != source.study_id:
                raise ValidationError(_("Choose an informant of this study."))
            if (label.role, label.informant_id) == (mapping.role, informant.pk if informant else None):
                continue
            label.role, label.informant = mapping.role, informant
            label.full_clean()
            label.save(update_fields=["role", "informant"])
            changed.append(label.pk)
        derived = speakers_derive_for_source(source) if changed else 0
        if changed:
            audit_record(
                study=source.study,
                actor=actor,
                action="source.speakers_mapped",
                target=source,
                label=f"source {source.pk}",
                labels=changed,
                excerpts_derived=derived,
            )
    return derived


# Normalisation before coding -----------------------------------------------------------------------------------------


def source_normalise(*, source: Source, actor: User, text: str, description: str) -> SourceEdit:
    """Replace the text of a source that has no excerpts yet, and log the edit.

    Before: no excerpt points into the source (checked under a row lock).
    After: the new text (normalised and checked like an import), a SourceEdit
    with the lengths before and after, the speaker turns found again (mapped
    labels keep their mapping), and an audit row.
    """
    description = description.strip()
    if not description:
        raise ValidationError({"description": _("Say what was changed, e.g. “dialect to bokmål, tics removed”.")})
    new_text = importers.check_edited_text(text)
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        if not locked.is_current:
            raise ValidationError(_("This is an earlier version of the source; it cannot be changed."))
        if Excerpt.objects.filter(source=locked).exists():
            raise ValidationError(
                _("The source has coded excerpts, so its text is fixed. Make a new version to correct it.")
            )
        if new_text == locked.text:
            raise ValidationError({"text": _("The text is unchanged; nothing was saved.")})
        mapping = _current_mapping(locked)
        edit = SourceEdit(
            source=locked, actor=actor, description=description, length_before=locked.length, length_after=len(new_text)
        )
        edit.full_clean()
        locked.text, locked.length = new_text, len(new_text)
        locked.full_clean()
        locked.save(update_fields=["text", "length", "updated_at"])
        edit.save()
        _detect_turns(locked, keep_mapping=mapping)
        audit_record(
            study=locked.study,
            actor=actor,
            action="source.normalised",
            target=locked,
            label=f"source {locked.pk}",
            edit=edit.pk,
            length_before=edit.length_before,
            length_after=edit.length_after,
        )
    source.text, source.length = locked.text, locked.length
    return edit


# New versions after coding -------------------------------------------------------------------------------------------

CONTEXT_CHARS = 40


def _common_suffix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        count += 1
    return count


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def relocate(old_text: str, new_text: str, start: int, end: int, quote: str) -> int | None:
    """Where ``quote`` (the excerpt's text, once at ``old_text[start:end]``) begins in ``new_text``; None if absent.

    Candidates are the same offset, the offset moved by the change in length
    (an edit before or after the excerpt), and the occurrences nearest the old
    offset scaled by the length ratio. The one whose surroundings best match the
    old surroundings wins; then the one nearest the scaled offset.
    """
    if not quote:
        return None
    expected = round(start * len(new_text) / len(old_text)) if old_text else start
    candidates = {
        position
        for position in (start, start + len(new_text) - len(old_text))
        if position >= 0 and new_text.startswith(quote, position)
    }
    forward = new_text.find(quote, max(0, expected))
    backward = new_text.rfind(quote, 0, max(0, expected) + len(quote))
    candidates.update(position for position in (forward, backward) if position >= 0)
    if not candidates:
        return None
    before = old_text[max(0, start - CONTEXT_CHARS) : start]
    after = old_text[end : end + CONTEXT_CHARS]

    def fit(position: int) -> tuple[int, int, int]:
        context = _common_suffix(before, new_text[max(0, position - CONTEXT_CHARS) : position]) + _common_prefix(
            after, new_text[position + len(quote) : position + len(quote) + CONTEXT_CHARS]
        )
        return context, -abs(position - expected), -position

    return max(candidates, key=fit)


@dataclass(frozen=True)
class NewVersionResult:
    source: Source
    moved: int
    needs_reanchor: int


def source_new_version(*, source: Source, actor: User, imported: ImportedText) -> NewVersionResult:
    """Make a corrected version of a source and move its excerpts, memos and speaker mapping to it.

    Before: ``source`` is the current version.
    After: a new Source (version + 1, ``previous_version`` = the old one) is
    current and the old one is not. Each excerpt whose own text is found in the
    new text points there (its text unchanged); each one whose text is gone
    stays on the new version flagged ``needs_reanchor`` with its old offsets
    clamped to the new length and its old text kept, so nothing claims words it
    was not coded on. Speakers are derived again for the moved excerpts.
    """
    with transaction.atomic():
        old = Source.objects.select_for_update().get(pk=source.pk)
        if not old.is_current:
            raise ValidationError(_("A newer version of this source exists. Correct the current version."))
        if imported.text == old.text:
            raise ValidationError(_("The corrected text is identical to the current one; no version was made."))
        new = Source(
            study_id=old.study_id,
            session_id=old.session_id,
            kind=old.kind,
            title=old.title,
            observer_id=old.observer_id,
            text=imported.text,
            length=len(imported.text),
            imported_from=imported.format,
            original_filename=imported.filename[:255],
            detected_encoding=imported.encoding,
            version=old.version + 1,
            previous_version=old,
            is_current=True,
            created_by=actor,
        )
        old.is_current = False
        old.save(update_fields=["is_current", "updated_at"])
        new.full_clean()
        new.save()
        _detect_turns(new, keep_mapping=_current_mapping(old))
        excerpts = list(Excerpt.objects.filter(source=old).only("pk", "start", "end", "text", "needs_reanchor"))
        now = timezone.now()
        found_ids, lost = [], 0
        length = len(new.text)
        for excerpt in excerpts:
            position = relocate(old.text, new.text, excerpt.start, excerpt.end, excerpt.text)
            excerpt.source = new
            excerpt.updated_at = now
            if position is None:
                excerpt.start = min(excerpt.start, length - 1)
                excerpt.end = max(excerpt.start + 1, min(excerpt.end, length))
                excerpt.needs_reanchor = True
                lost += 1
            else:
                excerpt.start, excerpt.end = position, position + len(excerpt.text)
                excerpt.needs_reanchor = False
                found_ids.append(excerpt.pk)
        Excerpt.objects.bulk_update(
            excerpts, ["source", "start", "end", "needs_reanchor", "updated_at"], batch_size=500
        )
        speakers_derive_for_source(new, found_ids)
        Memo.objects.filter(source=old).update(source=new)
        audit_record(
            study=old.study,
            actor=actor,
            action="source.version_created",
            target=new,
            label=f"source {new.pk}",
            previous=old.pk,
            version=new.version,
            format=imported.format,
            length_before=old.length,
            length_after=new.length,
            moved=len(found_ids),
            needs_reanchor=lost,
        )
    source.is_current = False
    return NewVersionResult(source=new, moved=len(found_ids), needs_reanchor=lost)
