"""Interview and observation guides: versions, themes, questions, prompts.

A version's content is an ordered tree: themes → questions (items in an
observation guide) → prompts. Positions are kept dense (0, 1, 2 …) within
their parent by the move services; new rows go last.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cases.models import (
    GuidePrompt,
    GuideQuestion,
    GuideTheme,
    Instrument,
    InstrumentVersion,
    ResearchQuestion,
    Study,
    User,
)

from .audit import audit_record
from .records import record_create, record_delete, record_update


def instrument_create(*, study: Study, actor: User, first_version_label: str = "v1", **fields: Any) -> Instrument:
    """Create a guide with its first (empty) version."""
    with transaction.atomic():
        instrument = Instrument(study=study, **fields)
        record_create(
            study=study, actor=actor, instance=instrument, action="instrument.created", label=instrument.title
        )
        version = InstrumentVersion(instrument=instrument, label=first_version_label)
        version.full_clean()
        version.save()
    return instrument


def instrument_update(*, instrument: Instrument, actor: User, data: dict[str, Any]) -> Instrument:
    return record_update(
        study=instrument.study,
        actor=actor,
        instance=instrument,
        action="instrument.updated",
        data=data,
        label=instrument.title,
    )


def instrument_version_copy(*, version: InstrumentVersion, actor: User, label: str, audience: str) -> InstrumentVersion:
    """A new version with a deep copy of the themes, questions and prompts of ``version``."""
    with transaction.atomic():
        copy = InstrumentVersion(instrument=version.instrument, label=label, audience=audience)
        copy.full_clean()
        copy.save()
        for theme in version.themes.prefetch_related("questions__prompts"):
            new_theme = GuideTheme.objects.create(version=copy, position=theme.position, title=theme.title)
            for question in theme.questions.all():
                new_question = GuideQuestion.objects.create(
                    theme=new_theme,
                    position=question.position,
                    label=question.label,
                    text=question.text,
                    research_question_id=question.research_question_id,
                )
                GuidePrompt.objects.bulk_create(
                    GuidePrompt(question=new_question, position=p.position, text=p.text) for p in question.prompts.all()
                )
        audit_record(
            study=version.instrument.study,
            actor=actor,
            action="instrument.version_copied",
            target=copy,
            label=f"{version.instrument.title} {label}",
            source_version=version.pk,
        )
    return copy


def _next_position(queryset: models.QuerySet) -> int:
    last = queryset.aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


def _move(instance: models.Model, siblings: models.QuerySet, offset: int) -> bool:
    """Swap ``instance`` with its neighbour ``offset`` steps away and renumber densely; False at either end."""
    rows = list(siblings.select_for_update().order_by("position", "id"))
    index = next(i for i, row in enumerate(rows) if row.pk == instance.pk)
    target = index + offset
    if not 0 <= target < len(rows):
        return False
    rows[index], rows[target] = rows[target], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            type(row).objects.filter(pk=row.pk).update(position=position)
    return True


def _study_of_theme(theme: GuideTheme) -> Study:
    return theme.version.instrument.study


def _check_research_question(question: GuideQuestion, study: Study) -> None:
    """A guide question may only point at a research question of its own study."""
    if question.research_question_id is None:
        return
    if not ResearchQuestion.objects.filter(pk=question.research_question_id, study=study).exists():
        raise ValidationError({"research_question": _("The research question belongs to another study.")})


def guide_theme_add(*, version: InstrumentVersion, actor: User, title: str) -> GuideTheme:
    with transaction.atomic():
        theme = GuideTheme(version=version, title=title, position=_next_position(version.themes))
        return record_create(
            study=version.instrument.study, actor=actor, instance=theme, action="guide.theme_added", label=title[:100]
        )


def guide_theme_update(*, theme: GuideTheme, actor: User, data: dict[str, Any]) -> GuideTheme:
    return record_update(
        study=_study_of_theme(theme),
        actor=actor,
        instance=theme,
        action="guide.theme_updated",
        data=data,
        label=theme.title[:100],
    )


def guide_theme_delete(*, theme: GuideTheme, actor: User) -> None:
    """Delete a theme with its questions and prompts."""
    record_delete(
        study=_study_of_theme(theme), actor=actor, instance=theme, action="guide.theme_deleted", label=theme.title[:100]
    )


def guide_theme_move(*, theme: GuideTheme, actor: User, offset: int) -> None:
    with transaction.atomic():
        if _move(theme, GuideTheme.objects.filter(version_id=theme.version_id), offset):
            audit_record(
                study=_study_of_theme(theme),
                actor=actor,
                action="guide.theme_moved",
                target=theme,
                label=theme.title[:100],
                offset=offset,
            )


def guide_question_add(*, theme: GuideTheme, actor: User, **fields: Any) -> GuideQuestion:
    study = _study_of_theme(theme)
    with transaction.atomic():
        question = GuideQuestion(theme=theme, position=_next_position(theme.questions), **fields)
        _check_research_question(question, study)
        return record_create(
            study=study,
            actor=actor,
            instance=question,
            action="guide.question_added",
            label=question.label or question.text[:60],
        )


def guide_question_update(*, question: GuideQuestion, actor: User, data: dict[str, Any]) -> GuideQuestion:
    study = _study_of_theme(question.theme)
    with transaction.atomic():
        if "research_question" in data:
            rq = data["research_question"]
            _check_research_question(GuideQuestion(research_question_id=rq.pk if rq else None), study)
        return record_update(
            study=study,
            actor=actor,
            instance=question,
            action="guide.question_updated",
            data=data,
            label=question.label or question.text[:60],
        )


def guide_question_delete(*, question: GuideQuestion, actor: User) -> None:
    record_delete(
        study=_study_of_theme(question.theme),
        actor=actor,
        instance=question,
        action="guide.question_deleted",
        label=question.label or question.text[:60],
    )


def guide_question_move(*, question: GuideQuestion, actor: User, offset: int) -> None:
    with transaction.atomic():
        if _move(question, GuideQuestion.objects.filter(theme_id=question.theme_id), offset):
            audit_record(
                study=_study_of_theme(question.theme),
                actor=actor,
                action="guide.question_moved",
                target=question,
                label=question.label or question.text[:60],
                offset=offset,
            )


def guide_prompt_add(*, question: GuideQuestion, actor: User, text: str) -> GuidePrompt:
    with transaction.atomic():
        prompt = GuidePrompt(question=question, text=text, position=_next_position(question.prompts))
        return record_create(
            study=_study_of_theme(question.theme),
            actor=actor,
            instance=prompt,
            action="guide.prompt_added",
            label=text[:60],
        )


def guide_prompt_update(*, prompt: GuidePrompt, actor: User, data: dict[str, Any]) -> GuidePrompt:
    return record_update(
        study=_study_of_theme(prompt.question.theme),
        actor=actor,
        instance=prompt,
        action="guide.prompt_updated",
        data=data,
        label=prompt.text[:60],
    )


def guide_prompt_delete(*, prompt: GuidePrompt, actor: User) -> None:
    record_delete(
        study=_study_of_theme(prompt.question.theme),
        actor=actor,
        instance=prompt,
        action="guide.prompt_deleted",
        label=prompt.text[:60],
    )


def guide_prompt_move(*, prompt: GuidePrompt, actor: User, offset: int) -> None:
    with transaction.atomic():
        if _move(prompt, GuidePrompt.objects.filter(question_id=prompt.question_id), offset):
            audit_record(
                study=_study_of_theme(prompt.question.theme),
                actor=actor,
                action="guide.prompt_moved",
                target=prompt,
                label=prompt.text[:60],
                offset=offset,
            )
