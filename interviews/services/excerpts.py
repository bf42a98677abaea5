"""Excerpts and their codes: the offsets contract and undo.

An excerpt's ``start``/``end`` are Python string indices into its source's
text, end exclusive; its ``text`` must equal ``source.text[start:end]``. Every
write checks both, so a forged request cannot store an excerpt that points
somewhere else than it says.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.consent_policy import Reason, consent_problems, problem_sentence, with_exclusion_reason
from cases.models import Informant, Study, User
from cases.precompiled import Precompiled
from cases.rows import PARENT_ID, LockedKey, ParentField, StaleRow, insert_together
from cases.services.audit import audit_event, audit_record
from interviews.models import Code, Coding, CodingAction, Excerpt, Source, SpeakerLabel, SpeakerTurn
from interviews.selectors_sources import EXCERPTS_IN_WINDOW


def check_offsets(source: Source, start: int, end: int, text: str) -> None:
    """Refuse offsets out of range, empty spans and text that does not match the source."""
    if not isinstance(start, int) or not isinstance(end, int):
        raise ValidationError(_("The selection's offsets must be whole numbers."))
    if not 0 <= start < end <= len(source.text):
        raise ValidationError(_("The selection lies outside the text (0–%(length)d).") % {"length": len(source.text)})
    if source.text[start:end] != text:
        raise ValidationError(
            _("The selected text does not match the source at these offsets. Reload the page and select again.")
        )


@dataclass
class Speakers:
    """Who speaks in a stretch of a source: informants (in order of first turn), their codes, consent problems.

    ``turns`` holds the turns of the wider stretch read with them, if one was asked for.
    """

    informant_ids: list[int] = field(default_factory=list)
    codes: dict[int, str] = field(default_factory=dict)
    unknown: bool = False
    problems: dict[int, tuple[str, Reason]] = field(default_factory=dict)
    turns: list[SpeakerTurn] = field(default_factory=list)


_TURN_COLUMNS = (
    "id",
    "start",
    "end",
    "label_end",
    "speaker_id",
    "speaker__label",
    "speaker__role",
    "speaker__informant_id",
    "speaker__informant__code",
    "exclusion",
)
# The turns of a stretch with their speakers' consent, compiled once per connection: Django takes longer to
# compile the four consent subqueries than the database takes to run them (about 4 ms against 2 ms on a
# 250,000-character source), and applying a code runs this query every time.
_TURNS_WITH_CONSENT = Precompiled(
    lambda source, low, high: with_exclusion_reason(
        # By start only: the model's ordering begins with the source's title, a join this query needs not.
        SpeakerTurn.objects.overlapping(source, low, high).order_by("start"),
        informant_ref="speaker__informant_id",
        informant_path="speaker__informant__",
    ).values_list(*_TURN_COLUMNS),
    "source",
    "low",
    "high",
)


def speakers_with_consent(source: Source, start: int, end: int, *, around: tuple[int, int] | None = None) -> Speakers:
    """The informants speaking in ``[start, end)``, whether anyone unmapped speaks there, and consent problems.

    One query: the turns with their speakers, each informant's consent state read
    by the same correlated subqueries as :func:`cases.consent_policy.consent_problems`.
    A turn overlaps the range if it starts before ``end`` and ends after ``start``.
    Text before the first turn (a preamble) counts as no speaker. ``around`` (a
    stretch containing the range) reads its turns too and keeps them in ``turns``,
    with their speakers, as :func:`interviews.views.coding_parts.text_html` shows them.
    """
    low, high = (min(around[0], start), max(around[1], end)) if around else (start, end)
    rows = _TURNS_WITH_CONSENT.rows(model=SpeakerTurn, source=source.pk, low=low, high=high)
    found = Speakers()
    for turn_id, turn_start, turn_end, label_end, speaker_id, label, role, informant_id, code, exclusion in rows:
        if around:
            speaker = SpeakerLabel(
                id=speaker_id, source_id=source.pk, label=label, role=role, informant_id=informant_id
            )
            if informant_id:
                speaker.informant = Informant(id=informant_id, study_id=source.study_id, code=code)
            found.turns.append(
                SpeakerTurn(
                    id=turn_id,
                    source_id=source.pk,
                    speaker=speaker,
                    start=turn_start,
                    end=turn_end,
                    label_end=label_end,
                )
            )
        if not (turn_start < end and turn_end > start):
            continue
        if role == SpeakerLabel.Role.INFORMANT and informant_id:
            if informant_id not in found.codes:
                found.informant_ids.append(informant_id)
                found.codes[informant_id] = code
                if exclusion is not None and exclusion != Reason.NO_QUOTES:
                    found.problems[informant_id] = (code, Reason(exclusion))
        elif role in (SpeakerLabel.Role.UNIDENTIFIED, SpeakerLabel.Role.INFORMANT):
            found.unknown = True
    return found


def speakers_in_range(source: Source, start: int, end: int) -> tuple[list[int], bool]:
    """The informant ids speaking in ``[start, end)`` and whether anyone unmapped speaks there."""
    found = speakers_with_consent(source, start, end)
    return found.informant_ids, found.unknown


def consent_gate(
    source: Source, informant_ids: list[int], problems: dict[int, tuple[str, Reason]] | None = None
) -> str:
    """Apply the study's consent gate to data entry about ``informant_ids``; the warning to show, or "".

    Raises ValidationError naming each informant without given consent when the
    study blocks; an informant who withdrew is refused whatever the study says.
    ``problems`` already read (by :func:`speakers_with_consent`) save the look-up.
    """
    if problems is None:
        problems = consent_problems(informant_ids)
    if not problems:
        return ""
    sentences = [problem_sentence(code, reason) for code, reason in sorted(problems.values())]
    withdrawn = any(reason == Reason.WITHDRAWN for _code, reason in problems.values())
    if withdrawn:
        raise ValidationError(
            _("Not coded: %(problems)s. Nothing they said may be coded any more.") % {"problems": "; ".join(sentences)}
        )
    if source.study.consent_gate == Study.Gate.BLOCK:
        raise ValidationError(
            _("Not coded: %(problems)s. Record their consent first.") % {"problems": "; ".join(sentences)}
        )
    return _("Coded, but %(problems)s.") % {"problems": "; ".join(sentences)}


def _derive_speakers(excerpt: Excerpt) -> None:
    if excerpt.speakers_overridden:
        return
    informant_ids, unknown = speakers_in_range(excerpt.source, excerpt.start, excerpt.end)
    excerpt.speakers.set(informant_ids)
    if excerpt.has_unknown_speaker != unknown:
        excerpt.has_unknown_speaker = unknown
        Excerpt.objects.filter(pk=excerpt.pk).update(has_unknown_speaker=unknown)


def _codes_of_study(study_id: int, code_ids: Iterable[int], known: Mapping[int, Code] | None = None) -> list[Code]:
    """The active codes ``code_ids`` of the study; ``known`` (the study's codes, already loaded) saves the query."""
    code_ids = list(dict.fromkeys(int(c) for c in code_ids))
    if known is None:
        codes = list(Code.objects.filter(study_id=study_id, pk__in=code_ids, status=Code.Status.ACTIVE))
    else:
        codes = [known[pk] for pk in code_ids if pk in known]
        codes = [code for code in codes if code.study_id == study_id and code.status == Code.Status.ACTIVE]
    if len(codes) != len(code_ids):
        raise ValidationError(_("One of the codes does not exist in this study or is no longer active."))
    return codes


def _lock_source(source: Source) -> None:
    """Hold the source row for the rest of the transaction, so its text cannot change under the offsets.

    Normalisation and new versions take the same lock; if the row changed since
    ``source`` was loaded, reload it before the offsets are checked.
    """
    state = Source.objects.select_for_update().filter(pk=source.pk).values("updated_at", "is_current").first()
    if state is None:
        raise ValidationError(_("The source no longer exists."))
    if state["updated_at"] != source.updated_at or state["is_current"] != source.is_current:
        source.refresh_from_db()


def excerpt_create(
    *,
    source: Source,
    actor: User,
    start: int,
    end: int,
    text: str,
    code_ids: Iterable[int] = (),
    known_codes: Mapping[int, Code] | None = None,
    around: tuple[int, int] | None = None,
) -> Excerpt:
    """Create an excerpt with the given codes.

    Before: ``source`` is a current source of a study the actor may edit.
    After: the excerpt, its codings, its derived speakers, an undo record, a
    history row and an audit row exist, written in one statement on PostgreSQL.
    ``known_codes`` (the study's codes, as the coding view already holds them)
    spares reading the codes again.
    The selection is checked against ``source`` as the caller loaded it, and the
    statement that writes takes the source's row lock only if the row is still as
    it was loaded (:class:`cases.rows.LockedKey`): its text cannot have changed
    under the offsets, and no transaction or lock is held while checking. If it
    did change (a new version, edited metadata), it is read again and everything
    checked again, once; inside the caller's transaction, which the refused
    statement has spoilt, the caller is told to try again instead.
    The study's consent gate applies to the speakers: without their given
    consent the excerpt is refused (block, or anyone who withdrew) or created
    with ``excerpt.consent_warning`` saying why (warn); otherwise that is "".
    The new excerpt carries ``applied_codes`` and ``speaker_codes`` (informant
    id → code) so the caller can show it without reading it back, and
    ``turns_around``: the turns of ``around`` (a stretch containing the
    selection, given by a caller that shows it), read with the speakers, and
    ``codings_around``: the excerpts overlapping it, the new one included, as
    :data:`~interviews.selectors_sources.EXCERPTS_IN_WINDOW` reads them (read by the
    statement that writes; [] without ``around``).
    """
    connection = transaction.get_connection(router.db_for_write(Excerpt))
    try:
        return _excerpt_create(source, actor, start, end, text, code_ids, known_codes, around)
    except StaleRow:
        if connection.in_atomic_block:
            raise ValidationError(
                _("The source changed while you were coding it. Reload the page and select the text again.")
            ) from None
    source.refresh_from_db()
    return _excerpt_create(source, actor, start, end, text, code_ids, known_codes, around)


def _excerpt_create(
    source: Source,
    actor: User,
    start: int,
    end: int,
    text: str,
    code_ids: Iterable[int],
    known_codes: Mapping[int, Code] | None,
    around: tuple[int, int] | None,
) -> Excerpt:
    if not source.is_current:
        raise ValidationError(_("This is an old version of the source; code the current version."))
    check_offsets(source, start, end, text)
    codes = _codes_of_study(source.study_id, code_ids, known_codes)
    speakers = speakers_with_consent(source, start, end, around=around)
    warning = consent_gate(source, speakers.informant_ids, speakers.problems)
    excerpt = Excerpt(
        study_id=source.study_id,
        # The source as it was read, locked by the INSERT if unchanged (else StaleRow, nothing written).
        source_id=LockedKey(Source, source.pk, (("updated_at", source.updated_at), ("is_current", True))),
        start=start,
        end=end,
        text=text,
        created_by=actor,
        has_unknown_speaker=speakers.unknown,
    )
    around = (min(around[0], start), max(around[1], end)) if around else None
    codings_around = insert_together(
        excerpt,
        _rows_of_new_excerpt(excerpt, source, actor, codes, speakers.informant_ids),
        read=None
        if around is None
        else (EXCERPTS_IN_WINDOW, {"source": source.pk, "low": around[0], "high": around[1]}),
    )
    if around is not None:
        codings_around += [(excerpt.pk, start, end, code.pk) for code in codes] or [(excerpt.pk, start, end, None)]
    excerpt.source = source
    excerpt.consent_warning = warning
    excerpt.applied_codes = codes
    excerpt.speaker_codes = speakers.codes
    excerpt.turns_around = speakers.turns
    excerpt.codings_around = codings_around
    return excerpt


@functools.cache
def _excerpt_history_model() -> type[models.Model]:
    """django-simple-history's model of excerpt history (``Excerpt.history`` builds a manager class on each access)."""
    return Excerpt.history.model


def _rows_of_new_excerpt(
    excerpt: Excerpt, source: Source, actor: User, codes: list[Code], informant_ids: list[int]
) -> Iterator[models.Model]:
    """What ``excerpt_create`` writes beside the excerpt, pointing at it by :data:`PARENT_ID`.

    Its history row (as django-simple-history's ``post_save`` would write it, which
    ``insert_together`` does not send; its fields copied from the excerpt's row as
    written, by :class:`~cases.rows.ParentField`), codings, speaker links, undo record and
    audit row. A new excerpt has no speaker links yet: plain inserts instead of ``set()``'s
    read-then-write.
    """
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        History = _excerpt_history_model()
        history = History(
            history_date=timezone.now(),
            history_type="+",
            history_user=actor,
            history_change_reason=None,
            **{name.attname: ParentField(name.attname) for name in History.tracked_fields},
        )
        history.id = PARENT_ID
        yield history
    for code in codes:
        yield Coding(excerpt_id=PARENT_ID, code=code, created_by=actor)
    Speaker = Excerpt.speakers.through
    for pk in informant_ids:
        yield Speaker(excerpt_id=PARENT_ID, informant_id=pk)
    yield CodingAction(
        study_id=excerpt.study_id,
        actor=actor,
        source_id=source.pk,
        kind=CodingAction.Kind.EXCERPT_CREATED,
        excerpt_id=PARENT_ID,
    )
    event = audit_event(
        study=source.study,
        actor=actor,
        action="excerpt.created",
        target=excerpt,
        label=f"{source.pk}:{excerpt.start}-{excerpt.end}",
        source=source.pk,
        codes=[c.pk for c in codes],
    )
    event.target_id = PARENT_ID
    yield event


def excerpt_adjust(*, excerpt: Excerpt, actor: User, start: int, end: int, text: str) -> Excerpt:
    """Move an excerpt's boundaries within its source."""
    with transaction.atomic():
        _lock_source(excerpt.source)
        check_offsets(excerpt.source, start, end, text)
        before = {"start": excerpt.start, "end": excerpt.end}
        excerpt.start, excerpt.end, excerpt.text, excerpt.needs_reanchor = start, end, text, False
        excerpt.save(update_fields=["start", "end", "text", "needs_reanchor", "updated_at"])
        _derive_speakers(excerpt)
        CodingAction.objects.create(
            study_id=excerpt.study_id,
            actor=actor,
            source_id=excerpt.source_id,
            kind=CodingAction.Kind.BOUNDARIES_CHANGED,
            excerpt_id=excerpt.pk,
            before=before,
        )
        audit_record(
            study=excerpt.study,
            actor=actor,
            action="excerpt.adjusted",
            target=excerpt,
            label=f"{excerpt.source_id}:{start}-{end}",
            before=before,
        )
    return excerpt


def excerpt_code_add(*, excerpt: Excerpt, actor: User, code: Code) -> Coding:
    if code.study_id != excerpt.study_id or code.status != Code.Status.ACTIVE:
        raise ValidationError(_("One of the codes does not exist in this study or is no longer active."))
    with transaction.atomic():
        coding, created = Coding.objects.get_or_create(excerpt=excerpt, code=code, defaults={"created_by": actor})
        if created:
            CodingAction.objects.create(
                study_id=excerpt.study_id,
                actor=actor,
                source_id=excerpt.source_id,
                kind=CodingAction.Kind.CODE_ADDED,
                excerpt_id=excerpt.pk,
                code_id=code.pk,
            )
            audit_record(
                study=excerpt.study,
                actor=actor,
                action="excerpt.code_added",
                target=excerpt,
                label=code.name,
                code=code.pk,
            )
    return coding


def excerpt_code_remove(*, excerpt: Excerpt, actor: User, code: Code) -> bool:
    """Remove a code; an excerpt left with no code is deleted (it would be invisible otherwise): then True."""
    with transaction.atomic():
        deleted, _rows = Coding.objects.filter(excerpt=excerpt, code=code).delete()
        if not deleted:
            return False
        if not excerpt.codings.exists():
            _excerpt_delete(excerpt, actor, removed_code=code.pk)
            return True
        CodingAction.objects.create(
            study_id=excerpt.study_id,
            actor=actor,
            source_id=excerpt.source_id,
            kind=CodingAction.Kind.CODE_REMOVED,
            excerpt_id=excerpt.pk,
            code_id=code.pk,
        )
        audit_record(
            study=excerpt.study,
            actor=actor,
            action="excerpt.code_removed",
            target=excerpt,
            label=code.name,
            code=code.pk,
        )
    return False


def _snapshot(excerpt: Excerpt) -> dict:
    return {
        "start": excerpt.start,
        "end": excerpt.end,
        "text": excerpt.text,
        "codes": list(excerpt.codings.values_list("code_id", flat=True)),
        "memo": excerpt.memo,
        "condensed_meaning": excerpt.condensed_meaning,
        "is_deviant": excerpt.is_deviant,
        "is_counter_finding": excerpt.is_counter_finding,
        "has_identifying_details": excerpt.has_identifying_details,
        "speakers": list(excerpt.speakers.values_list("pk", flat=True)) if excerpt.speakers_overridden else None,
    }


def _excerpt_delete(excerpt: Excerpt, actor: User, removed_code: int | None = None) -> None:
    before = _snapshot(excerpt)
    if removed_code is not None and removed_code not in before["codes"]:
        before["codes"].append(removed_code)
    CodingAction.objects.create(
        study_id=excerpt.study_id,
        actor=actor,
        source_id=excerpt.source_id,
        kind=CodingAction.Kind.EXCERPT_DELETED,
        excerpt_id=excerpt.pk,
        before=before,
    )
    audit_record(
        study=excerpt.study,
        actor=actor,
        action="excerpt.deleted",
        target=excerpt,
        label=f"{excerpt.source_id}:{excerpt.start}-{excerpt.end}",
    )
    excerpt.delete()


def excerpt_delete(*, excerpt: Excerpt, actor: User) -> None:
    with transaction.atomic():
        _excerpt_delete(excerpt, actor)


def coding_undo(*, source: Source, actor: User) -> CodingAction | None:
    """Undo the actor's most recent coding action in ``source``; None when there is nothing to undo."""
    with transaction.atomic():
        action = (
            CodingAction.objects.select_for_update()
            .filter(source=source, actor=actor, undone_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if action is None:
            return None
        excerpt = Excerpt.objects.filter(pk=action.excerpt_id, source=source).first()
        kind = action.kind
        if kind == CodingAction.Kind.EXCERPT_CREATED and excerpt is not None:
            excerpt.delete()
        elif kind == CodingAction.Kind.CODE_ADDED and excerpt is not None:
            Coding.objects.filter(excerpt=excerpt, code_id=action.code_id).delete()
            if not excerpt.codings.exists():
                excerpt.delete()
        elif kind == CodingAction.Kind.CODE_REMOVED and excerpt is not None:
            if Code.objects.filter(pk=action.code_id, study_id=source.study_id).exists():
                Coding.objects.get_or_create(excerpt=excerpt, code_id=action.code_id, defaults={"created_by": actor})
        elif kind == CodingAction.Kind.BOUNDARIES_CHANGED and excerpt is not None:
            start, end = action.before["start"], action.before["end"]
            if 0 <= start < end <= len(source.text):
                excerpt.start, excerpt.end, excerpt.text = start, end, source.text[start:end]
                excerpt.save(update_fields=["start", "end", "text", "updated_at"])
                _derive_speakers(excerpt)
        elif kind == CodingAction.Kind.EXCERPT_DELETED:
            _restore(source, actor, action)
        elif kind == CodingAction.Kind.DETAILS_CHANGED and excerpt is not None:
            _restore_details(excerpt, action.before)
        action.undone_at = timezone.now()
        action.save(update_fields=["undone_at"])
        audit_record(
            study=source.study,
            actor=actor,
            action="coding.undone",
            target=source,
            label=action.get_kind_display(),
            undone=kind,
        )
    return action


DETAIL_FIELDS = (
    "memo",
    "condensed_meaning",
    "is_deviant",
    "is_counter_finding",
    "has_identifying_details",
    "speakers_overridden",
    "has_unknown_speaker",
)


def _details(excerpt: Excerpt) -> dict:
    """What the details form can change, as stored (not as a bound form may have set it on ``excerpt``).

    Undo keeps it: the fields, speaker ids and corroborated excerpt ids.
    """
    state = Excerpt.objects.filter(pk=excerpt.pk).values(*DETAIL_FIELDS).get()
    state["speakers"] = sorted(excerpt.speakers.values_list("pk", flat=True))
    state["corroborates"] = sorted(excerpt.corroborates.values_list("pk", flat=True))
    return state


def _restore_details(excerpt: Excerpt, before: dict) -> None:
    """Put back the details ``before`` recorded; speakers and links that no longer exist are skipped."""
    for name in DETAIL_FIELDS:
        if name in before:
            setattr(excerpt, name, before[name])
    excerpt.save(update_fields=[*DETAIL_FIELDS, "updated_at"])
    speakers = Informant.objects.filter(study_id=excerpt.study_id, pk__in=before.get("speakers", []))
    excerpt.speakers.set(speakers)
    linked = Excerpt.objects.filter(study_id=excerpt.study_id, pk__in=before.get("corroborates", [])).exclude(
        pk=excerpt.pk
    )
    excerpt.corroborates.set(linked)


def _restore(source: Source, actor: User, action: CodingAction) -> None:
    before = action.before
    start, end = before["start"], before["end"]
    if source.text[start:end] != before["text"]:
        return
    excerpt = Excerpt.objects.create(
        study_id=source.study_id,
        source=source,
        start=start,
        end=end,
        text=before["text"],
        created_by=actor,
        memo=before.get("memo", ""),
        condensed_meaning=before.get("condensed_meaning", ""),
        is_deviant=before.get("is_deviant", False),
        is_counter_finding=before.get("is_counter_finding", False),
        has_identifying_details=before.get("has_identifying_details", False),
        speakers_overridden=before.get("speakers") is not None,
    )
    codes = Code.objects.filter(study_id=source.study_id, pk__in=before.get("codes", []))
    Coding.objects.bulk_create(Coding(excerpt=excerpt, code=code, created_by=actor) for code in codes)
    if before.get("speakers") is not None:
        excerpt.speakers.set(before["speakers"])
    else:
        _derive_speakers(excerpt)
    # Later actions refer to the excerpt by id: point them at the restored one.
    CodingAction.objects.filter(source=source, excerpt_id=action.excerpt_id).update(excerpt_id=excerpt.pk)


def excerpt_update_details(
    *,
    excerpt: Excerpt,
    actor: User,
    memo: str,
    condensed_meaning: str,
    is_deviant: bool,
    is_counter_finding: bool,
    has_identifying_details: bool,
    speakers: Iterable[Informant] | None = None,
    reset_speakers: bool = False,
    corroborates: Iterable[Excerpt] | None = None,
) -> Excerpt:
    """Save an excerpt's memo, condensed meaning, flags, speakers and corroborations.

    ``speakers`` (informants of the excerpt's study) overrides the speakers derived
    from the turns only when it differs from the current set; the override then
    states the speakers fully, so ``has_unknown_speaker`` becomes "no speaker
    given". ``reset_speakers`` drops the override and derives them again.
    ``corroborates`` (other excerpts of the same study) replaces the links.
    ``None`` leaves speakers or corroborations as they are.
    A change is recorded as the actor's last coding action, so Ctrl+Z in the
    coding view puts the details back as they were; saving the same details
    again records nothing.
    """
    with transaction.atomic():
        before = _details(excerpt)
        excerpt.memo = memo
        excerpt.condensed_meaning = condensed_meaning
        excerpt.is_deviant = is_deviant
        excerpt.is_counter_finding = is_counter_finding
        excerpt.has_identifying_details = has_identifying_details
        changed = {"speakers": False, "corroborates": False}
        if reset_speakers:
            excerpt.speakers_overridden = False
        elif speakers is not None:
            chosen = list(speakers)
            if any(informant.study_id != excerpt.study_id for informant in chosen):
                raise ValidationError({"speakers": _("A speaker must be an informant of this study.")})
            chosen_ids = {informant.pk for informant in chosen}
            if chosen_ids != set(excerpt.speakers.values_list("pk", flat=True)):
                excerpt.speakers_overridden = True
                excerpt.has_unknown_speaker = not chosen_ids
                excerpt.speakers.set(chosen_ids)
                changed["speakers"] = True
        excerpt.full_clean()
        excerpt.save()
        if reset_speakers:
            _derive_speakers(excerpt)
            changed["speakers"] = True
        if corroborates is not None:
            linked = list(corroborates)
            if any(other.study_id != excerpt.study_id or other.pk == excerpt.pk for other in linked):
                raise ValidationError({"corroborates": _("Link only other excerpts of this study.")})
            if {other.pk for other in linked} != set(excerpt.corroborates.values_list("pk", flat=True)):
                excerpt.corroborates.set(linked)
                changed["corroborates"] = True
        after = {name: getattr(excerpt, name) for name in DETAIL_FIELDS}
        if after != {name: before[name] for name in DETAIL_FIELDS} or any(changed.values()):
            CodingAction.objects.create(
                study_id=excerpt.study_id,
                actor=actor,
                source_id=excerpt.source_id,
                kind=CodingAction.Kind.DETAILS_CHANGED,
                excerpt_id=excerpt.pk,
                before=before,
            )
        audit_record(
            study=excerpt.study,
            actor=actor,
            action="excerpt.details_changed",
            target=excerpt,
            label=f"{excerpt.source_id}:{excerpt.start}-{excerpt.end}",
            flags=[
                name
                for name in ("is_deviant", "is_counter_finding", "has_identifying_details")
                if getattr(excerpt, name)
            ],
            speakers_overridden=excerpt.speakers_overridden,
            **changed,
        )
    return excerpt
