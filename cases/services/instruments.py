"""Interview and observation guides: versions, themes, questions, prompts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from cases.models import GuidePrompt, GuideQuestion, GuideTheme, Instrument, InstrumentVersion, Study, User

from .audit import audit_record
from .records import record_create


def instrument_create(*, study: Study, actor: User, first_version_label: str = "v1", **fields: Any) -> Instrument:
    with transaction.atomic():
        instrument = Instrument(study=study, **fields)
        record_create(study=study, actor=actor, instance=instrument, action="instrument.created", label=instrument.title)
        InstrumentVersion.objects.create(instrument=instrument, label=first_version_label)
    return instrument


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
                    theme=new_theme, position=question.position, label=question.label, text=question.text,
                    research_question_id=question.research_question_id,
                )
                GuidePrompt.objects.bulk_create(
                    GuidePrompt(question=new_question, position=p.position, text=p.text) for p in question.prompts.all()
                )
        audit_record(study=version.instrument.study, actor=actor, action="instrument.version_copied", target=copy,
                     label=f"{version.instrument.title} {label}", source_version=version.pk)
    return copy


def _next_position(queryset) -> int:
    last = queryset.aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


def guide_theme_add(*, version: InstrumentVersion, actor: User, title: str) -> GuideTheme:
    theme = GuideTheme(version=version, title=title, position=_next_position(version.themes))
    return record_create(study=version.instrument.study, actor=actor, instance=theme, action="guide.theme_added", label=title[:100])


def guide_question_add(*, theme: GuideTheme, actor: User, **fields: Any) -> GuideQuestion:
    question = GuideQuestion(theme=theme, position=_next_position(theme.questions), **fields)
    if question.research_question_id and question.research_question.study_id != theme.version.instrument.study_id:
        from django.core.exceptions import ValidationError

        raise ValidationError({"research_question": "The research question belongs to another study."})
    return record_create(study=theme.version.instrument.study, actor=actor, instance=question, action="guide.question_added",
                         label=question.label or question.text[:60])


def guide_prompt_add(*, question: GuideQuestion, actor: User, text: str) -> GuidePrompt:
    prompt = GuidePrompt(question=question, text=text, position=_next_position(question.prompts))
    return record_create(study=question.theme.version.instrument.study, actor=actor, instance=prompt, action="guide.prompt_added", label=text[:60])
