"""The tables a section can hold, as header + rows of plain strings (escaped by the template, set as text in DOCX)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cases.models import Chapter, ChapterBlock, ChapterSection, Informant, InformantGroup
from cases.selectors_questionnaires import dataset_table, questionnaire_results
from interviews.models import Code, Excerpt
from interviews.selectors_analysis import analysed_excerpts, code_tree

from . import feeds

Kind = ChapterBlock.Table
Feed = ChapterSection.Feed


@dataclass
class Table:
    kind: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    editable_rows: list[tuple[str, str, str]] = field(default_factory=list)  # (key, row label, researcher's text)


class TableBuilder:
    def __init__(self, chapter: Chapter, outline: list[tuple[Any, ...]], excluded: dict[int, Any]):
        self.chapter = chapter
        self.study = chapter.study
        self.outline = outline
        self.excluded = excluded
        self.informant_ids: set[int] = set()

    def build(self, block: ChapterBlock, section: ChapterSection) -> Table:
        builder = {
            Kind.INFORMANTS: self.informants,
            Kind.GROUP_SUMMARY: self.group_summary,
            Kind.CROSS_GROUP: self.cross_group,
            Kind.QUESTIONNAIRE: self.questionnaire,
            Kind.DATASET: self.dataset,
            Kind.CODE_FREQUENCY: self.code_frequency,
        }[block.table]
        table = builder(block, section)
        table.caption = block.caption or block.get_table_display()
        return table

    def _informants(self) -> list[Informant]:
        return list(
            Informant.objects.filter(study=self.study)
            .exclude(status__in=feeds.NOT_TAKING_PART)
            .exclude(pk__in=list(self.excluded))
            .select_related("group", "site")
            .order_by("group__position", "code")
        )

    def _groups(self) -> list[InformantGroup]:
        return list(InformantGroup.objects.filter(study=self.study).order_by("position", "label"))

    def informants(self, block: ChapterBlock, section: ChapterSection) -> Table:
        rows = []
        for informant in self._informants():
            self.informant_ids.add(informant.pk)
            rows.append(
                [
                    informant.code,
                    informant.group.label if informant.group else "–",
                    informant.site.pseudonym if informant.site else "–",
                    informant.role or "–",
                ]
            )
        return Table(block.table, "", [_("Informant"), _("Group"), _("Site"), _("Role")], rows)

    def _row_sections(self, section: ChapterSection) -> list[ChapterSection]:
        """The questions of a summary: the section's subsections, or else its siblings."""
        children = [s for s, ancestors, *_rest in self.outline if s.parent_id == section.pk]
        if children:
            return children
        return [s for s, *_rest in self.outline if s.parent_id == section.parent_id and s.pk != section.pk]

    def group_summary(self, block: ChapterBlock, section: ChapterSection) -> Table:
        rows, editable = [], []
        for row in self._row_sections(section):
            key = str(row.pk)
            text = str(block.table_cells.get(key, ""))
            rows.append([row.title, text])
            editable.append((key, row.title, text))
        return Table(block.table, "", [_("Question"), _("Main points")], rows, editable_rows=editable)

    def _question_rows(self) -> list[tuple[str, str, list[int]]]:
        """The chapter's distinct guide-question sets (merged "Q3 + Q4" count as one), in outline order."""
        found: dict[str, tuple[str, str, list[int]]] = {}
        for section, *_rest in self.outline:
            if section.feed != Feed.GUIDE_QUESTIONS:
                continue
            questions = list(section.guide_questions.all())
            if not questions:
                continue
            key = "q" + "-".join(str(q.pk) for q in sorted(questions, key=lambda q: q.pk))
            found.setdefault(key, (key, section.title, [q.pk for q in questions]))
        return list(found.values())

    def cross_group(self, block: ChapterBlock, section: ChapterSection) -> Table:
        groups = self._groups()
        population: dict[int, set[int]] = {g.pk: set() for g in groups}
        for informant in self._informants():
            if informant.group_id in population:
                population[informant.group_id].add(informant.pk)
        rows, editable = [], []
        for key, label, question_ids in self._question_rows():
            excerpts = analysed_excerpts(self.study).filter(codings__code__guide_questions__in=question_ids)
            speaking = feeds.distinct_speakers(excerpts)
            cells = [f"{len(speaking & population[g.pk])}/{len(population[g.pk])}" for g in groups]
            summary = str(block.table_cells.get(key, ""))
            rows.append([label, *cells, summary])
            editable.append((key, label, summary))
        header = [_("Question"), *[g.label for g in groups], _("Researcher's summary")]
        note = _("Cells: informants in the group who spoke to the question, of the group's informants.")
        return Table(block.table, "", header, rows, note=note, editable_rows=editable)

    def code_frequency(self, block: ChapterBlock, section: ChapterSection) -> Table:
        groups = self._groups()
        tree = code_tree(self.study)
        if section.feed == Feed.CODE and section.code_id:
            codes = [tree.by_id[pk] for pk in tree.descendant_ids(section.code_id) if pk in tree.by_id]
            codes.sort(key=lambda code: tree.codes.index(code))
        else:
            codes = [code for code in tree.codes if code.depth == 0]
        informant_group = {i.pk: i.group_id for i in self._informants()}
        links = (
            Excerpt.speakers.through.objects.filter(excerpt__in=analysed_excerpts(self.study))
            .filter(
                excerpt__codings__code_id__in=[c.pk for c in codes]
                + [pk for c in codes for pk in tree.descendant_ids(c.pk)]
            )
            .values_list("excerpt__codings__code_id", "informant_id")
            .distinct()
        )
        coded: dict[int, set[int]] = {}
        for code_id, informant_id in links:
            coded.setdefault(code_id, set()).add(informant_id)
        rows = []
        for code in codes:
            informants: set[int] = set()
            for pk in tree.descendant_ids(code.pk):
                informants |= coded.get(pk, set())
            informants &= set(informant_group)
            cells = [str(sum(1 for i in informants if informant_group[i] == g.pk)) for g in groups]
            rows.append(["\u2003" * code.depth + code.name, *cells, str(len(informants))])
        header = [_("Code"), *[g.label for g in groups], _("Total")]
        return Table(block.table, "", header, rows, note=_("Distinct informants coded, per group."))

    def questionnaire(self, block: ChapterBlock, section: ChapterSection) -> Table:
        if block.questionnaire_version is None:
            return Table(block.table, "", [], [], note=_("No questionnaire chosen."))
        results = questionnaire_results(block.questionnaire_version)
        rows = []
        for result in results.items:
            distribution = ", ".join(f"{value}: {count}" for value, count in result.distribution) or ", ".join(
                f"{option.text}: {option.count}" for option in result.options
            )
            rows.append([result.item.text, str(result.answered), str(result.mean or "–"), distribution or "–"])
        note = _("%(n)d respondents.") % {"n": results.respondents}
        return Table(block.table, "", [_("Item"), _("n"), _("Mean"), _("Distribution")], rows, note=note)

    def dataset(self, block: ChapterBlock, section: ChapterSection) -> Table:
        if block.dataset is None:
            return Table(block.table, "", [], [], note=_("No dataset chosen."))
        data = dataset_table(block.dataset)
        rows = [[row.label, *[data.formatted(v) for v in row.values]] for row in data.rows]
        return Table(block.table, "", [data.row_heading or "", *data.columns], rows, note=data.source_note)


__all__ = ["Code", "Table", "TableBuilder"]
