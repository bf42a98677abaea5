"""Questionnaires: the builder (versions, sections, items, options) and responses.

Before a response is written every answer is checked against its item (scale
range and steps, options of the item, ranks 1…k without duplicates, required
items); one bad answer writes nothing. Anonymous responses are audited against
the questionnaire, never against the response, so the audit trail cannot give
the order or time at which each form was typed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import (
    Informant,
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireChoice,
    QuestionnaireItem,
    QuestionnaireOption,
    QuestionnaireResponse,
    QuestionnaireSection,
    QuestionnaireVersion,
    Study,
    User,
)

from .audit import audit_record
from .instruments import _move, _next_position
from .records import record_create, record_delete, record_update

Kind = QuestionnaireItem.Kind


def questionnaire_create(*, study: Study, actor: User, first_version_label: str = "v1", **fields: Any) -> Questionnaire:
    """Create a questionnaire with its first, empty version."""
    with transaction.atomic():
        questionnaire = Questionnaire(study=study, **fields)
        record_create(
            study=study, actor=actor, instance=questionnaire, action="questionnaire.created", label=questionnaire.title
        )
        version = QuestionnaireVersion(questionnaire=questionnaire, label=first_version_label)
        version.full_clean()
        version.save()
    return questionnaire


def questionnaire_update(*, questionnaire: Questionnaire, actor: User, data: dict[str, Any]) -> Questionnaire:
    """Change a questionnaire; whether it is anonymous is fixed once any response exists."""
    with transaction.atomic():
        stored = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        if "anonymous" in data and data["anonymous"] != stored.anonymous and _has_responses(stored):
            raise ValidationError(
                {"anonymous": _("Responses have been entered: whether the questionnaire is anonymous cannot change.")}
            )
        return record_update(
            study=questionnaire.study,
            actor=actor,
            instance=questionnaire,
            action="questionnaire.updated",
            data=data,
            label=questionnaire.title,
        )


def questionnaire_delete(*, questionnaire: Questionnaire, actor: User) -> None:
    record_delete(
        study=questionnaire.study,
        actor=actor,
        instance=questionnaire,
        action="questionnaire.deleted",
        label=questionnaire.title,
    )


def _has_responses(questionnaire: Questionnaire) -> bool:
    return QuestionnaireResponse.objects.filter(version__questionnaire=questionnaire).exists()


def questionnaire_version_copy(*, version: QuestionnaireVersion, actor: User, label: str) -> QuestionnaireVersion:
    """A new version with a deep copy of the sections, items, options and follow-up triggers of ``version``."""
    with transaction.atomic():
        copy = QuestionnaireVersion(questionnaire=version.questionnaire, label=label)
        copy.full_clean()
        copy.save()
        for section in version.sections.prefetch_related("items__options", "items__follow_up_on"):
            new_section = QuestionnaireSection.objects.create(
                version=copy, position=section.position, title=section.title
            )
            for item in section.items.all():
                triggers = {option.pk for option in item.follow_up_on.all()}
                options = list(item.options.all())
                item.pk = None
                item.section = new_section
                item.save()
                new_options = QuestionnaireOption.objects.bulk_create(
                    QuestionnaireOption(item=item, position=o.position, text=o.text) for o in options
                )
                item.follow_up_on.set(new for old, new in zip(options, new_options, strict=True) if old.pk in triggers)
        audit_record(
            study=version.questionnaire.study,
            actor=actor,
            action="questionnaire.version_copied",
            target=copy,
            label=f"{version.questionnaire.title} {label}",
            source_version=version.pk,
        )
    return copy


def _study_of_section(section: QuestionnaireSection) -> Study:
    return section.version.questionnaire.study


def questionnaire_section_add(*, version: QuestionnaireVersion, actor: User, title: str) -> QuestionnaireSection:
    with transaction.atomic():
        section = QuestionnaireSection(version=version, title=title, position=_next_position(version.sections))
        return record_create(
            study=version.questionnaire.study,
            actor=actor,
            instance=section,
            action="questionnaire.section_added",
            label=title[:100],
        )


def questionnaire_section_update(
    *, section: QuestionnaireSection, actor: User, data: dict[str, Any]
) -> QuestionnaireSection:
    return record_update(
        study=_study_of_section(section),
        actor=actor,
        instance=section,
        action="questionnaire.section_updated",
        data=data,
        label=section.title[:100],
    )


def questionnaire_section_delete(*, section: QuestionnaireSection, actor: User) -> None:
    """Delete a section with its items; refused while any of its items has answers."""
    if QuestionnaireAnswer.objects.filter(item__section=section).exists():
        raise ValidationError(_("Items of this section have answers; make a new version instead."))
    record_delete(
        study=_study_of_section(section),
        actor=actor,
        instance=section,
        action="questionnaire.section_deleted",
        label=section.title[:100],
    )


def questionnaire_section_move(*, section: QuestionnaireSection, actor: User, offset: int) -> None:
    with transaction.atomic():
        if _move(section, QuestionnaireSection.objects.filter(version_id=section.version_id), offset):
            audit_record(
                study=_study_of_section(section),
                actor=actor,
                action="questionnaire.section_moved",
                target=section,
                label=section.title[:100],
                offset=offset,
            )


_KIND_FIELDS = ("scale_min", "scale_max", "allow_half_points", "scale_min_label", "scale_max_label", "rank_count")


def _drop_unused_fields(item: QuestionnaireItem) -> None:
    """A scale's settings only on scales, the number of ranks only on rank items (the builder posts them all)."""
    if item.kind != Kind.SCALE:
        item.scale_min, item.scale_max, item.allow_half_points = 1, None, False
        item.scale_min_label = item.scale_max_label = ""
    if item.kind != Kind.RANK:
        item.rank_count = None


def _clean_options(item: QuestionnaireItem, options: list[str]) -> list[str]:
    cleaned = [text.strip() for text in options if text.strip()]
    if item.is_choice and len(cleaned) < 2:
        raise ValidationError({"options": _("A choice item needs at least two options.")})
    if not item.is_choice and cleaned:
        raise ValidationError({"options": _("Only choice and rank items have options.")})
    if len({text.casefold() for text in cleaned}) != len(cleaned):
        raise ValidationError({"options": _("Two options have the same text.")})
    if item.kind == Kind.RANK and item.rank_count and item.rank_count > len(cleaned):
        raise ValidationError({"rank_count": _("There are fewer options than places to rank.")})
    return cleaned


def _clean_follow_up(item: QuestionnaireItem, options: list[str], follow_up_on: list[str]) -> list[str]:
    chosen = [text.strip() for text in follow_up_on if text.strip()]
    if chosen and not item.follow_up_prompt.strip():
        raise ValidationError({"follow_up_on": _("Write the follow-up comment's prompt first.")})
    unknown = [text for text in chosen if text not in options]
    if unknown:
        raise ValidationError(
            {"follow_up_on": _("Not an option of this item: %(options)s") % {"options": ", ".join(unknown)}}
        )
    return chosen


def _save_options(item: QuestionnaireItem, options: list[str], follow_up_on: list[str]) -> None:
    existing = {option.text: option for option in item.options.all()}
    keep = []
    for position, text in enumerate(options):
        option = existing.pop(text, None)
        if option is None:
            option = QuestionnaireOption.objects.create(item=item, position=position, text=text)
        elif option.position != position:
            QuestionnaireOption.objects.filter(pk=option.pk).update(position=position)
        keep.append(option)
    for option in existing.values():
        if option.choices.exists():
            raise ValidationError(
                {
                    "options": _("“%(option)s” has been chosen in responses and cannot be removed.")
                    % {"option": option.text}
                }
            )
        option.delete()
    item.follow_up_on.set(option for option in keep if option.text in follow_up_on)


def questionnaire_item_add(
    *,
    section: QuestionnaireSection,
    actor: User,
    options: list[str] | None = None,
    follow_up_on: list[str] | None = None,
    **fields: Any,
) -> QuestionnaireItem:
    """Add an item (last in its section) with its options, given in order as texts."""
    with transaction.atomic():
        item = QuestionnaireItem(section=section, position=_next_position(section.items), **fields)
        _drop_unused_fields(item)
        cleaned = _clean_options(item, options or [])
        triggers = _clean_follow_up(item, cleaned, follow_up_on or [])
        record_create(
            study=_study_of_section(section),
            actor=actor,
            instance=item,
            action="questionnaire.item_added",
            label=item.label or item.text[:60],
        )
        _save_options(item, cleaned, triggers)
    return item


def questionnaire_item_update(
    *,
    item: QuestionnaireItem,
    actor: User,
    data: dict[str, Any],
    options: list[str] | None = None,
    follow_up_on: list[str] | None = None,
) -> QuestionnaireItem:
    """Change an item. Its type and scale are fixed once it has answers (make a new version instead)."""
    with transaction.atomic():
        stored = QuestionnaireItem.objects.select_for_update().get(pk=item.pk)
        for name, value in data.items():
            setattr(item, name, value)
        _drop_unused_fields(item)
        data = {**data, **{name: getattr(item, name) for name in _KIND_FIELDS}}
        locked = ("kind", "scale_min", "scale_max", "allow_half_points", "rank_count")
        if stored.answers.exists() and any(getattr(item, name) != getattr(stored, name) for name in locked):
            raise ValidationError(
                _("This item has answers: its type, scale and number of ranks cannot change. Make a new version.")
            )
        current = [option.text for option in stored.options.all()]
        cleaned = _clean_options(item, current if options is None else options)
        triggers = _clean_follow_up(
            item, cleaned, [o.text for o in stored.follow_up_on.all()] if follow_up_on is None else follow_up_on
        )
        record_update(
            study=_study_of_section(stored.section),
            actor=actor,
            instance=item,
            action="questionnaire.item_updated",
            data=data,
            label=item.label or item.text[:60],
        )
        _save_options(item, cleaned, triggers)
    return item


def questionnaire_item_delete(*, item: QuestionnaireItem, actor: User) -> None:
    if item.answers.exists():
        raise ValidationError(_("This item has answers; make a new version instead."))
    record_delete(
        study=_study_of_section(item.section),
        actor=actor,
        instance=item,
        action="questionnaire.item_deleted",
        label=item.label or item.text[:60],
    )


def questionnaire_item_move(*, item: QuestionnaireItem, actor: User, offset: int) -> None:
    with transaction.atomic():
        if _move(item, QuestionnaireItem.objects.filter(section_id=item.section_id), offset):
            audit_record(
                study=_study_of_section(item.section),
                actor=actor,
                action="questionnaire.item_moved",
                target=item,
                label=item.label or item.text[:60],
                offset=offset,
            )


@dataclass
class AnswerInput:
    """What was written on the form for one item, as typed in (strings and option ids)."""

    value: str = ""
    chosen: list[int] = field(default_factory=list)
    ranks: dict[int, str] = field(default_factory=dict)  # option id → rank as typed
    text: str = ""
    comment: str = ""

    def is_empty(self) -> bool:
        return (
            not self.value.strip()
            and not self.chosen
            and not any(str(rank).strip() for rank in self.ranks.values())
            and not self.text.strip()
        )


@dataclass
class _CleanAnswer:
    item: QuestionnaireItem
    value: Decimal | None = None
    text: str = ""
    comment: str = ""
    choices: list[tuple[int, int | None]] = field(default_factory=list)  # (option id, rank)


def _format_number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _clean_scale(item: QuestionnaireItem, raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_("Type a number from %(low)s to %(high)s.") % _scale_bounds(item)) from None
    if not value.is_finite() or value not in item.scale_values():
        if value.is_finite() and item.scale_min <= value <= (item.scale_max or 0):
            raise ValidationError(_("Only whole numbers on this scale (half points are not allowed)."))
        raise ValidationError(
            _("%(value)s is outside the scale: type a number from %(low)s to %(high)s.")
            % {"value": raw.strip(), **_scale_bounds(item)}
        )
    return value


def _scale_bounds(item: QuestionnaireItem) -> dict[str, int | None]:
    return {"low": item.scale_min, "high": item.scale_max}


def _clean_answer(item: QuestionnaireItem, given: AnswerInput) -> _CleanAnswer | None:
    """The checked answer, None when the item was left empty; ValidationError with one clear message otherwise."""
    option_ids = {option.pk for option in item.options.all()}
    comment = given.comment.strip()
    if given.is_empty():
        if item.required:
            raise ValidationError(_("This item is required."))
        if comment:
            raise ValidationError(_("A follow-up comment needs an answer to the item."))
        return None
    clean = _CleanAnswer(item=item, comment=comment)
    if item.kind == Kind.SCALE:
        clean.value = _clean_scale(item, given.value)
    elif item.kind == Kind.FREE_TEXT:
        clean.text = given.text.strip()
    elif item.kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
        chosen = list(dict.fromkeys(given.chosen))
        if any(option_id not in option_ids for option_id in chosen):
            raise ValidationError(_("Choose among the item's options."))
        if item.kind == Kind.SINGLE_CHOICE and len(chosen) > 1:
            raise ValidationError(_("Only one option may be chosen."))
        clean.choices = [(option_id, None) for option_id in chosen]
    elif item.kind == Kind.RANK:
        clean.choices = _clean_ranks(item, given.ranks, option_ids)
    if comment:
        if not item.follow_up_prompt:
            raise ValidationError(_("This item has no follow-up comment."))
        triggers = {option.pk for option in item.follow_up_on.all()}
        if triggers and not triggers & {option_id for option_id, _rank in clean.choices}:
            raise ValidationError(
                _("The follow-up comment is asked only after: %(options)s.")
                % {"options": ", ".join(o.text for o in item.follow_up_on.all())}
            )
    return clean


def _clean_ranks(item: QuestionnaireItem, ranks: dict[int, str], option_ids: set[int]) -> list[tuple[int, int | None]]:
    k = item.rank_count or 1
    result: list[tuple[int, int | None]] = []
    seen: dict[int, int] = {}
    for option_id, raw in ranks.items():
        raw = str(raw).strip()
        if not raw:
            continue
        if option_id not in option_ids:
            raise ValidationError(_("Rank among the item's options."))
        if not raw.isdigit() or not 1 <= int(raw) <= k:
            raise ValidationError(_("Ranks go from 1 to %(k)d; “%(raw)s” is not one of them.") % {"k": k, "raw": raw})
        rank = int(raw)
        if rank in seen:
            raise ValidationError(
                _(
                    "Rank %(rank)d is given twice. Enter one option per rank and note the problem as a data-quality note."
                )
                % {"rank": rank}
            )
        seen[rank] = option_id
        result.append((option_id, rank))
    missing = [r for r in range(1, len(result) + 1) if r not in seen]
    if missing:
        raise ValidationError(_("Ranks must start at 1 without gaps: rank %(rank)d is missing.") % {"rank": missing[0]})
    return sorted(result, key=lambda pair: pair[1] or 0)


def _check_respondent(questionnaire: Questionnaire, informant: Informant | None, session: Any | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if questionnaire.anonymous:
        if informant is not None or session is not None:
            errors["informant"] = _("This questionnaire is anonymous: a response cannot name an informant or session.")
        return errors
    if informant is None:
        errors["informant"] = _("Choose the informant who answered.")
    elif informant.study_id != questionnaire.study_id:
        errors["informant"] = _("The informant belongs to another study.")
    if session is not None and session.study_id != questionnaire.study_id:
        errors["session"] = _("The session belongs to another study.")
    if session is None and questionnaire.mode == Questionnaire.Mode.IN_INTERVIEW:
        errors["session"] = _("Choose the interview where the answers were given.")
    return errors


def questionnaire_response_create(
    *,
    version: QuestionnaireVersion,
    actor: User,
    answers: dict[int, AnswerInput],
    informant: Informant | None = None,
    session: Any | None = None,
    data_quality_note: str = "",
) -> QuestionnaireResponse:
    """Store one filled-in form.

    Before: ``answers`` maps item ids of ``version`` to what was written.
    After: either the response with all its answers exists, or a
    ``ValidationError`` keyed ``item-<id>`` (and ``informant``/``session``/``__all__``)
    was raised and nothing was written.
    """
    questionnaire = version.questionnaire
    items = list(
        QuestionnaireItem.objects.filter(section__version=version)
        .order_by("section__position", "section_id", "position", "id")
        .prefetch_related("options", "follow_up_on")
    )
    known = {item.pk for item in items}
    errors: dict[str, list[str]] = {
        key: [message] for key, message in _check_respondent(questionnaire, informant, session).items()
    }
    if set(answers) - known:
        errors["__all__"] = [_("An answer is for an item of another version.")]
    cleaned: list[_CleanAnswer] = []
    for item in items:
        try:
            answer = _clean_answer(item, answers.get(item.pk, AnswerInput()))
        except ValidationError as error:
            errors[f"item-{item.pk}"] = error.messages
            continue
        if answer is not None:
            cleaned.append(answer)
    if not cleaned and "__all__" not in errors and not any(k.startswith("item-") for k in errors):
        errors["__all__"] = [_("The form is empty: enter at least one answer.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        response = QuestionnaireResponse(
            version=version,
            anonymous=questionnaire.anonymous,
            informant=None if questionnaire.anonymous else informant,
            session=None if questionnaire.anonymous else session,
            data_quality_note=data_quality_note.strip(),
        )
        try:
            response.full_clean()
        except ValidationError as error:
            if "__all__" in error.message_dict:
                raise ValidationError(
                    {"informant": _("This informant has already answered this version here.")}
                ) from None
            raise
        response.save()
        rows = [
            QuestionnaireAnswer(
                response=response, item=answer.item, value=answer.value, text=answer.text, comment=answer.comment
            )
            for answer in cleaned
        ]
        QuestionnaireAnswer.objects.bulk_create(rows)
        QuestionnaireChoice.objects.bulk_create(
            QuestionnaireChoice(answer=row, option_id=option_id, rank=rank)
            for row, answer in zip(rows, cleaned, strict=True)
            for option_id, rank in answer.choices
        )
        # Anonymous: the audit row names the questionnaire only, so no timestamp points at a response.
        extra = {} if questionnaire.anonymous else {"informant": informant.pk if informant else None}
        audit_record(
            study=questionnaire.study,
            actor=actor,
            action="questionnaire.response_entered",
            target=questionnaire,
            label=questionnaire.title,
            version=version.pk,
            **extra,
        )
    return response


def questionnaire_response_delete(*, response: QuestionnaireResponse, actor: User) -> None:
    questionnaire = response.version.questionnaire
    with transaction.atomic():
        extra = {} if response.anonymous else {"informant": response.informant_id}
        audit_record(
            study=questionnaire.study,
            actor=actor,
            action="questionnaire.response_deleted",
            target=questionnaire,
            label=questionnaire.title,
            **extra,
        )
        response.delete()


def questionnaire_response_note(*, response: QuestionnaireResponse, actor: User, note: str) -> QuestionnaireResponse:
    """Set the data-quality note of a response."""
    questionnaire = response.version.questionnaire
    with transaction.atomic():
        response.data_quality_note = note.strip()
        response.full_clean()
        response.save(update_fields=["data_quality_note"])
        extra = {} if response.anonymous else {"informant": response.informant_id}
        audit_record(
            study=questionnaire.study,
            actor=actor,
            action="questionnaire.response_noted",
            target=questionnaire,
            label=questionnaire.title,
            **extra,
        )
    return response
