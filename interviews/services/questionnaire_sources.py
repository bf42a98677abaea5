"""Free-text answers of a questionnaire become a source that can be coded like a transcript.

The text is fixed when it is made (a later response needs a new source): one
heading per item, then its answers. Anonymous answers are bullets sorted by
their text, so neither the source nor its offsets carry the entry order; linked
answers start with the informant's code, which the coding view reads as a
speaker turn of that informant.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.models import QuestionnaireAnswer, QuestionnaireItem, QuestionnaireVersion, User
from cases.selectors_questionnaires import items_of, version_with_items
from interviews.importers import read_pasted
from interviews.models import Source

from .sources import source_create

Kind = QuestionnaireItem.Kind


def _lines_for(item: QuestionnaireItem, answers: list[QuestionnaireAnswer], anonymous: bool) -> list[str]:
    entries: list[tuple[str, str]] = []  # (informant code or "", text)
    for answer in answers:
        given = ", ".join(choice.option.text for choice in answer.choices.all())
        if item.kind == Kind.FREE_TEXT and answer.text.strip():
            entries.append((answer.response.informant.code if not anonymous else "", answer.text.strip()))
        if answer.comment.strip():
            text = f"({given}) {answer.comment.strip()}" if given else answer.comment.strip()
            entries.append((answer.response.informant.code if not anonymous else "", text))
    entries.sort(key=lambda entry: (entry[0], entry[1]) if not anonymous else (entry[1], ""))
    # A bullet keeps an anonymous answer such as "Samling 2: …" from being read as a speaker label.
    return [f"{code}: {text}" if code else f"• {text}" for code, text in entries]


def questionnaire_source_create(*, version: QuestionnaireVersion, actor: User) -> Source:
    """A codable source of every free-text answer and follow-up comment of ``version``.

    Before: the version has at least one such answer. After: a source of kind
    questionnaire, linked to the questionnaire's session, with an audit row.
    """
    version = version_with_items(version)
    questionnaire = version.questionnaire
    anonymous = questionnaire.anonymous
    answers = (
        QuestionnaireAnswer.objects.filter(response__version=version)
        .select_related("response__informant")
        .prefetch_related("choices__option")
    )
    by_item: dict[int, list[QuestionnaireAnswer]] = {}
    for answer in answers:
        by_item.setdefault(answer.item_id, []).append(answer)
    blocks = []
    for item in items_of(version):
        lines = _lines_for(item, by_item.get(item.pk, []), anonymous)
        if lines:
            heading = f"{item.label} {item.text}".strip()
            if item.kind != Kind.FREE_TEXT:
                heading = f"{heading} – {item.follow_up_prompt}"
            blocks.append("\n".join([heading, "", *lines]))
    if not blocks:
        raise ValidationError(_("There are no free-text answers or comments to make a source of."))
    title = _("%(questionnaire)s (%(version)s): free-text answers") % {
        "questionnaire": questionnaire.title,
        "version": version.label,
    }
    return source_create(
        study=questionnaire.study,
        actor=actor,
        imported=read_pasted("\n\n".join(blocks) + "\n"),
        title=title[:200],
        kind=Source.Kind.QUESTIONNAIRE,
        session=questionnaire.session,
    )
