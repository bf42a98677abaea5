"""The demo study's chapter 4, composed the way thesis 003 prints its findings.

One section per research question, fed by the codes linked to it; within each,
employers' quotes first and then the union representatives', each quote
followed by its group label ("(Arbeidsgiver)"), as the thesis does. Each section ends
with a summary line that uses a counting token, so the demo shows it at work.
"""

from __future__ import annotations

from cases.models import Chapter, ChapterSection, Study, User
from cases.models.chapters import Attribution
from cases.services import chapters as services

INTRODUCTION = (
    "I dette kapittelet presenteres funnene fra intervjuene med arbeidsgivere og tillitsvalgte, "
    "ordnet etter forskningsspørsmålene. Sitatene fra arbeidsgiverne står først, deretter sitatene "
    "fra de tillitsvalgte."
)
SUMMARY = "{count} ({count_of}) tok opp dette temaet."


def demo_chapter_build(*, study: Study, owner: User) -> Chapter:
    chapter = services.chapter_create(
        study=study,
        actor=owner,
        title="Resultater",
        introduction=INTRODUCTION,
        attribution=Attribution.GROUP,
    )
    order = list(study.groups.order_by("position", "pk").values_list("pk", flat=True))
    for question in study.research_questions.order_by("position", "pk"):
        section = services.section_create(
            chapter=chapter,
            actor=owner,
            title=question.text,
            feed=ChapterSection.Feed.RESEARCH_QUESTION,
            research_question=question,
            group_quotes=True,
            group_order=order,
        )
        services.text_block_create(section=section, actor=owner, text=SUMMARY)
    return chapter
