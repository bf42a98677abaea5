"""Which excerpts feed a section, and how many distinct informants they come from.

A section fed by a code, RQ, guide questions, group or site takes the excerpts
that match; a group or site higher up in the outline narrows every section
below it (focus group 1 → Q1 shows focus group 1's answers to Q1).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q, QuerySet

from cases.models import ChapterSection, Informant
from interviews.models import Excerpt
from interviews.selectors_analysis import CodeTree, analysed_excerpts

Feed = ChapterSection.Feed
# Informants whose data is not part of the study's findings, whatever their consent says.
NOT_TAKING_PART = (Informant.Status.CANDIDATE, Informant.Status.INVITED, Informant.Status.DECLINED)


def _own_condition(section: ChapterSection, tree: CodeTree, guide_question_ids: Sequence[int]) -> Q | None:
    if section.feed == Feed.CODE and section.code_id:
        ids = tree.descendant_ids(section.code_id) if section.include_descendants else [section.code_id]
        return Q(codings__code_id__in=ids)
    if section.feed == Feed.RESEARCH_QUESTION and section.research_question_id:
        rq = section.research_question_id
        return Q(codings__code__research_question_id=rq) | Q(codings__code__guide_questions__research_question_id=rq)
    if section.feed == Feed.GUIDE_QUESTIONS and guide_question_ids:
        return Q(codings__code__guide_questions__in=list(guide_question_ids))
    return _narrowing(section)


def _narrowing(section: ChapterSection) -> Q | None:
    if section.feed == Feed.GROUP and section.group_id:
        return Q(speakers__group_id=section.group_id)
    if section.feed == Feed.SITE and section.site_id:
        return Q(speakers__site_id=section.site_id) | Q(source__session__site_id=section.site_id)
    return None


def feed_excerpts(
    section: ChapterSection, ancestors: Sequence[ChapterSection], tree: CodeTree, guide_question_ids: Sequence[int]
) -> QuerySet[Excerpt] | None:
    """The excerpts feeding ``section`` (lazy), or None for a text or hand-picked section."""
    own = _own_condition(section, tree, guide_question_ids)
    if own is None:
        return None
    excerpts = analysed_excerpts(section.chapter.study).filter(pk__in=Excerpt.objects.filter(own).values("pk"))
    for ancestor in ancestors:
        narrowing = _narrowing(ancestor)
        if narrowing is not None:
            excerpts = excerpts.filter(pk__in=Excerpt.objects.filter(narrowing).values("pk"))
    return excerpts


def population(section: ChapterSection, ancestors: Sequence[ChapterSection]) -> QuerySet[Informant]:
    """The informants a count is out of: those taking part, within the nearest group or site of the outline."""
    informants = Informant.objects.filter(study=section.chapter.study).exclude(status__in=NOT_TAKING_PART)
    for node in [*ancestors, section]:
        if node.feed == Feed.GROUP and node.group_id:
            informants = informants.filter(group_id=node.group_id)
        elif node.feed == Feed.SITE and node.site_id:
            informants = informants.filter(site_id=node.site_id)
    return informants


def distinct_speakers(excerpts: QuerySet[Excerpt] | Sequence[int]) -> set[int]:
    """Ids of the informants speaking in the excerpts (a queryset or excerpt ids). One query."""
    links = Excerpt.speakers.through.objects
    if isinstance(excerpts, QuerySet):
        links = links.filter(excerpt__in=excerpts.values("pk"))
    else:
        links = links.filter(excerpt_id__in=list(excerpts))
    return set(links.values_list("informant_id", flat=True).distinct())
