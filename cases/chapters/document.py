"""A chapter as the preview, the PDF and the DOCX show it, gathered with a bounded number of queries.

Queries grow with the number of sections and tables, never with quotes: the
blocks of every section, their excerpts and all their speakers come in three
queries, consent in one.

Consent: a quote is *withheld* – never printed – when any of its speakers is
excluded by the consent policy (``cases.consent_policy``); the editor shows it
struck through with the reason, the export lists it before the user confirms.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.consent_policy import Reason, excluded_informants
from cases.counting import LANGUAGES, count_of_total, counting_phrase
from cases.models import Attribution, Chapter, ChapterBlock, ChapterSection, GuideQuestion
from interviews.models import Excerpt
from interviews.selectors_analysis import code_tree

from . import feeds, markup, tables
from .quoting import BLOCK_QUOTE_WORDS, Speaker, attribution_text, lead_in

Block = ChapterBlock.Kind


@dataclass
class Count:
    """Distinct informants coded in a section, of those in scope, and the counting words for it."""

    informants: int
    total: int
    phrase: str  # "Nesten alle", in the study's language
    of_total: str  # "Seks av åtte informanter", in the study's language

    @property
    def label(self) -> str:
        """ "7 of 12 informants" in the reader's language, for the editor."""
        if not self.total:
            return ""
        language = translation.get_language() or "en"
        return count_of_total(self.informants, self.total, language if language in LANGUAGES else "en")


@dataclass
class Quote:
    block: ChapterBlock
    text: str
    lead_in: str = ""
    attribution: str = ""
    inline: bool = True
    shortened: bool = False
    speakers: list[Speaker] = field(default_factory=list)
    withheld: str = ""  # why consent keeps it out of print; empty when it may be printed

    @property
    def printed(self) -> bool:
        return not self.block.excluded and not self.withheld


@dataclass
class Item:
    kind: str  # "text", "quote", "table", "group"
    block: ChapterBlock | None = None
    paragraphs: list[markup.Paragraph] = field(default_factory=list)
    quote: Quote | None = None
    table: tables.Table | None = None
    label: str = ""


@dataclass
class Section:
    section: ChapterSection
    number: str
    depth: int  # 1 for 4.1, 2 for 4.1.1 …
    count: Count | None
    items: list[Item]
    first: bool = False
    last: bool = False

    @property
    def heading_level(self) -> int:
        return min(self.depth + 1, 6)

    @property
    def anchor(self) -> str:
        return f"section-{self.section.pk}"

    @property
    def quotes(self) -> list[Quote]:
        return [item.quote for item in self.items if item.quote is not None]


@dataclass
class Withheld:
    code: str
    reason: str
    quotes: int


@dataclass
class Document:
    chapter: Chapter
    language: str
    introduction: list[markup.Paragraph]
    sections: list[Section]
    informant_ids: list[int]
    withheld: list[Withheld]
    generated_at: Any

    @property
    def printed_quotes(self) -> list[Quote]:
        return [q for s in self.sections for q in s.quotes if q.printed]


def ordered_sections(chapter: Chapter) -> list[tuple[ChapterSection, list[ChapterSection], str, int]]:
    """Every section in outline order with its ancestors, its number ("4.2.1") and depth. One query + one."""
    sections = list(chapter.sections.prefetch_related("guide_questions").order_by("position", "pk"))
    children: dict[int | None, list[ChapterSection]] = defaultdict(list)
    ids = {s.pk for s in sections}
    for section in sections:
        section.chapter = chapter
        children[section.parent_id if section.parent_id in ids else None].append(section)
    ordered = []

    def walk(parent: int | None, ancestors: list[ChapterSection], prefix: str, depth: int) -> None:
        for index, section in enumerate(children.get(parent, []), start=1):
            number = f"{prefix}.{index}"
            ordered.append((section, ancestors, number, depth))
            walk(section.pk, [*ancestors, section], number, depth + 1)

    walk(None, [], chapter.number, 1)
    return ordered


def _speakers_by_excerpt(excerpt_ids: list[int]) -> dict[int, list[Any]]:
    links = (
        Excerpt.speakers.through.objects.filter(excerpt_id__in=excerpt_ids)
        .select_related("informant__group", "informant__site")
        .order_by("informant__code")
    )
    found: dict[int, list[Any]] = defaultdict(list)
    for link in links:
        found[link.excerpt_id].append(link.informant)
    return found


def _group_order(section: ChapterSection, positions: dict[int, int]) -> Any:
    """Sort key of a quote's group: the section's chosen order first, then the groups' own order."""
    chosen = [int(g) for g in section.group_order if str(g).isdigit()]

    def key(group_id: int | None) -> tuple[int, int]:
        if group_id in chosen:
            return (0, chosen.index(group_id))
        return (1, positions.get(group_id, 10**6) if group_id is not None else 10**7)

    return key


def build_document(chapter: Chapter, *, for_print: bool) -> Document:
    """The chapter as shown. ``for_print`` leaves out excluded and withheld quotes; the editor keeps them, marked.

    Lead-ins and counting words are in the study's language, whatever the reader's.
    """
    with translation.override(chapter.language):
        return _build(chapter, for_print=for_print)


def _build(chapter: Chapter, *, for_print: bool) -> Document:
    study = chapter.study
    excluded = excluded_informants(study)
    tree = code_tree(study)
    outline = ordered_sections(chapter)
    blocks = list(
        ChapterBlock.objects.filter(section__chapter=chapter)
        .select_related("excerpt__source__session", "questionnaire_version__questionnaire", "dataset")
        .order_by("position", "pk")
    )
    by_section: dict[int, list[ChapterBlock]] = defaultdict(list)
    for block in blocks:
        by_section[block.section_id].append(block)
    speakers = _speakers_by_excerpt([b.excerpt_id for b in blocks if b.excerpt_id])
    group_positions = dict(study.groups.values_list("pk", "position"))
    printed_informants: set[int] = set()
    withheld_counts: dict[int, list[Any]] = {}
    table_builder = tables.TableBuilder(chapter, outline, excluded)
    result: list[Section] = []
    for section, ancestors, number, depth in outline:
        guide_ids = [q.pk for q in section.guide_questions.all()]
        mode = section.attribution or chapter.attribution
        template = section.attribution_template or chapter.attribution_template
        items: list[Item] = []
        quote_ids: list[int] = []
        lead_index = 0
        group_of_item: list[int | None] = []
        current_group: int | None = None
        for block in by_section.get(section.pk, []):
            if block.kind == Block.QUOTE:
                quote = _quote(block, speakers.get(block.excerpt_id, []), excluded, mode, template)
                for informant in speakers.get(block.excerpt_id, []):
                    if informant.pk in excluded:
                        withheld_counts.setdefault(informant.pk, [informant, excluded[informant.pk], 0])[2] += 1
                if for_print and not quote.printed:
                    continue
                current_group = quote.speakers[0].group_id if quote.speakers else None
                quote_ids.append(block.excerpt_id)
                items.append(Item("quote", block=block, quote=quote))
                group_of_item.append(current_group)
            elif block.kind == Block.TABLE:
                items.append(Item("table", block=block, table=table_builder.build(block, section)))
                group_of_item.append(current_group)
            else:
                items.append(Item("text", block=block))  # paragraphs after the count is known
                group_of_item.append(current_group)
        if section.group_quotes:
            key = _group_order(section, group_positions)
            first_quote = next((i for i, item in enumerate(items) if item.kind == "quote"), len(items))
            head, tail = items[:first_quote], list(zip(items[first_quote:], group_of_item[first_quote:], strict=True))
            tail.sort(key=lambda pair: key(pair[1]))  # stable: the comment after a quote stays with it
            items = head
            shown_group: object = object()
            labels = dict(study.groups.values_list("pk", "label")) if tail else {}
            for item, group_id in tail:
                # A heading per group, unless every quote already carries its group's label.
                if group_id != shown_group and item.kind == "quote" and mode != Attribution.GROUP:
                    items.append(Item("group", label=labels.get(group_id, _("No group"))))
                    shown_group = group_id
                items.append(item)
        for item in items:
            if item.quote is not None and item.quote.printed:
                if mode == Attribution.LEAD_IN:
                    item.quote.lead_in = lead_in(lead_index)
                lead_index += 1
                printed_informants.update(s_id for s_id in _ids(speakers.get(item.quote.block.excerpt_id, [])))
        count = _count(section, ancestors, tree, guide_ids, quote_ids, excluded, chapter.language)
        for item in items:
            if item.kind == "text":
                item.paragraphs = markup.parse(
                    item.block.text,
                    count_phrase=count.phrase if count else "",
                    count_of_total=count.of_total if count else "",
                )
        result.append(Section(section, number if chapter.numbered else "", depth, count, items))
    for index, entry in enumerate(result):
        entry.first = index == 0
        entry.last = index == len(result) - 1
    withheld = [
        Withheld(informant.code, Reason(reason).label, n)
        for informant, reason, n in sorted(withheld_counts.values(), key=lambda row: row[0].code)
    ]
    return Document(
        chapter=chapter,
        language=chapter.language,
        introduction=markup.parse(chapter.introduction),
        sections=result,
        informant_ids=sorted(printed_informants | table_builder.informant_ids),
        withheld=withheld,
        generated_at=timezone.now(),
    )


def _ids(informants: list[Any]) -> list[int]:
    return [i.pk for i in informants]


def _quote(block: ChapterBlock, informants: list[Any], excluded: dict, mode: str, template: str) -> Quote:
    excerpt = block.excerpt
    text = block.print_text or excerpt.text
    speakers = [
        Speaker(
            code=i.code,
            group=i.group.label if i.group else "",
            role=i.role,
            site=i.site.pseudonym if i.site else "",
            group_id=i.group_id,
        )
        for i in informants
    ]
    session = excerpt.source.session
    reasons = [Reason(excluded[i.pk]).label for i in informants if i.pk in excluded]
    return Quote(
        block=block,
        text=" ".join(text.split()) if len(text.split()) < BLOCK_QUOTE_WORDS else text.strip(),
        attribution=attribution_text(
            mode,
            template,
            speakers,
            session.code if session else "",
            session.date_display if session and session.date else "",
        ),
        inline=len(text.split()) < BLOCK_QUOTE_WORDS,
        shortened=bool(block.print_text),
        speakers=speakers,
        withheld=str(reasons[0]) if reasons else "",
    )


def _count(
    section: ChapterSection,
    ancestors: list[ChapterSection],
    tree: Any,
    guide_ids: list[int],
    quote_excerpt_ids: list[int],
    excluded: dict,
    language: str,
) -> Count | None:
    """Distinct informants coded in the section's feed (or quoted, for hand-picked sections), of those taking part."""
    if section.feed == ChapterSection.Feed.TEXT:
        return None
    fed = feeds.feed_excerpts(section, ancestors, tree, guide_ids)
    speaking = feeds.distinct_speakers(fed if fed is not None else quote_excerpt_ids)
    population = set(feeds.population(section, ancestors).values_list("pk", flat=True)) - set(excluded)
    informants, total = len(speaking & population), len(population)
    if total == 0:
        return Count(0, 0, "", "")
    return Count(
        informants,
        total,
        counting_phrase(informants, total, language),
        count_of_total(informants, total, language, spelled=True),
    )


def guide_question_label(question: GuideQuestion) -> str:
    return f"{question.label} {question.text}".strip() if question.label else question.text
