"""Reads for analysis: retrieval of excerpts, the code matrix and code co-occurrence.

Every function takes a study the view has already checked. Only excerpts of
current sources count (an old version of a source is history, not data).

Counting rules of the matrix (they also hold in its CSV):

* a column counts each excerpt once, however many of its speakers belong to it,
  and adds each distinct informant speaking in it;
* an excerpt whose speakers belong to two columns counts in both;
* an excerpt with no known speaker (no informant among ``Excerpt.speakers``)
  counts in the "Unknown speaker" column and adds no informant;
* a row total counts each excerpt once and each informant once — it is not the
  sum of the row's cells.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from cases.models import AttributeDefinition, AttributeValue, Informant, InformantGroup, Site, Study
from interviews.models import Code, Coding, Excerpt

ExcerptSpeaker = Excerpt.speakers.through
UNKNOWN = "unknown"  # the column key of excerpts with no known speaker
NONE = "none"  # the column key of speakers without a group / site / attribute value

# ---------------------------------------------------------------------------
# The codebook as a flat list
# ---------------------------------------------------------------------------


@dataclass
class CodeTree:
    """The study's codes from one flat query, in depth-first order, each with ``depth`` and ``path``."""

    codes: list[Code]
    by_id: dict[int, Code]
    children: dict[int | None, list[Code]]

    def descendant_ids(self, code_id: int) -> list[int]:
        """``code_id`` and every code below it."""
        found, stack = [], [code_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(child.pk for child in self.children.get(current, []))
        return found

    def ancestor_at(self, code: Code, depth: int) -> Code:
        while code.depth > depth:
            code = self.by_id[code.parent_id]
        return code

    @property
    def max_depth(self) -> int:
        return max((code.depth for code in self.codes), default=0)


@dataclass(slots=True)
class CodeRow:
    """A code as a list of the whole codebook needs it: read with ``values_list``.

    Building 6,000 model instances took longer than the rest of the retrieval page; these cost a tenth.
    """

    pk: int
    parent_id: int | None
    name: str
    colour: str
    status: str
    position: int
    depth: int = 0
    path_names: tuple[str, ...] = ()
    path: str = ""
    indent_class: str = ""


def code_tree(study: Study) -> CodeTree:
    return _arranged(
        list(Code.objects.filter(study=study).only("id", "parent_id", "name", "colour", "status", "position"))
    )


def code_row_tree(study: Study) -> CodeTree:
    """The same tree as :func:`code_tree` with :class:`CodeRow` items, for pages that show names, paths and colours."""
    fields = ("id", "parent_id", "name", "colour", "status", "position")
    return _arranged([CodeRow(*row) for row in Code.objects.filter(study=study).values_list(*fields)])


def _arranged(codes: list) -> CodeTree:
    by_id = {code.pk: code for code in codes}
    children: dict[int | None, list] = defaultdict(list)
    for code in codes:  # already in Meta ordering: position, name, id
        children[code.parent_id if code.parent_id in by_id else None].append(code)
    ordered: list = []
    stack = [(code, 0, ()) for code in reversed(children[None])]
    while stack:
        code, depth, path = stack.pop()
        code.depth = depth
        code.path_names = (*path, code.name)
        code.path = " / ".join(code.path_names)
        code.indent_class = f"ps-{min(depth, 5)}"
        ordered.append(code)
        stack.extend((child, depth + 1, code.path_names) for child in reversed(children.get(code.pk, [])))
    return CodeTree(codes=ordered, by_id=by_id, children=children)


def analysed_excerpts(study: Study) -> QuerySet[Excerpt]:
    """The excerpts that count in analysis: those of the study's current sources."""
    return Excerpt.objects.filter(study=study, source__is_current=True)


def _in_analysis(study: Study) -> Q:
    """The same condition seen from a row that points at an excerpt (a coding, a speaker link)."""
    return Q(excerpt__study=study, excerpt__source__is_current=True)


# ---------------------------------------------------------------------------
# Retrieval
# ---------------------------------------------------------------------------

FLAG_FIELDS = {
    "deviant": "is_deviant",
    "counter": "is_counter_finding",
    "identifying": "has_identifying_details",
}


RESULT_FIELDS = [
    "study_id",
    "source_id",
    "start",
    "end",
    "text",
    "memo",
    "has_unknown_speaker",
    *FLAG_FIELDS.values(),
    "source__title",
    "source__kind",
    "source__version",
    "source__session_id",
    "source__session__code",
    "source__session__kind",
]


@dataclass
class RetrievalFilter:
    """What the retrieval form asked for; empty values mean "no filter"."""

    code_ids: list[int] | None = None
    informant_id: int | None = None
    group_id: int | None = None
    site_id: int | None = None
    attribute: AttributeDefinition | None = None
    attribute_value: Any = None
    attribute_min: Decimal | None = None
    attribute_max: Decimal | None = None
    session_kind: str = ""
    source_kind: str = ""
    flag: str = ""
    text: str = ""


def _speaker_condition(chosen: RetrievalFilter) -> Q | None:
    """The informant / group / site / attribute conditions, which one speaker must meet together."""
    condition = Q()
    if chosen.informant_id:
        condition &= Q(informant_id=chosen.informant_id)
    if chosen.group_id:
        condition &= Q(informant__group_id=chosen.group_id)
    if chosen.site_id:
        condition &= Q(informant__site_id=chosen.site_id)
    if chosen.attribute is not None:
        values = AttributeValue.objects.filter(informant_id=OuterRef("informant_id"), definition=chosen.attribute)
        kind = chosen.attribute.kind
        if kind == AttributeDefinition.Kind.NUMBER:
            if chosen.attribute_value is not None:
                values = values.filter(value_number=chosen.attribute_value)
            if chosen.attribute_min is not None:
                values = values.filter(value_number__gte=chosen.attribute_min)
            if chosen.attribute_max is not None:
                values = values.filter(value_number__lte=chosen.attribute_max)
        elif kind == AttributeDefinition.Kind.DATE:
            if chosen.attribute_value is not None:
                values = values.filter(value_date=chosen.attribute_value)
        elif chosen.attribute_value:
            values = values.filter(value_text__iexact=chosen.attribute_value)
        condition &= Q(Exists(values))
    return condition or None


def retrieval_excerpts(study: Study, chosen: RetrievalFilter) -> QuerySet[Excerpt]:
    """The excerpts matching ``chosen``, ordered by source then start, with source and session loaded.

    The informant, group, site and attribute conditions hold for an excerpt when
    one of its speakers meets all of them.
    """
    excerpts = analysed_excerpts(study)
    if chosen.code_ids is not None:
        excerpts = excerpts.filter(
            Exists(Coding.objects.filter(excerpt_id=OuterRef("pk"), code_id__in=chosen.code_ids))
        )
    speaker_condition = _speaker_condition(chosen)
    if speaker_condition is not None:
        excerpts = excerpts.filter(Exists(ExcerptSpeaker.objects.filter(speaker_condition, excerpt_id=OuterRef("pk"))))
    if chosen.session_kind:
        excerpts = excerpts.filter(source__session__kind=chosen.session_kind)
    if chosen.source_kind:
        excerpts = excerpts.filter(source__kind=chosen.source_kind)
    if chosen.flag:
        excerpts = excerpts.filter(**{FLAG_FIELDS[chosen.flag]: True})
    if chosen.text:
        excerpts = excerpts.filter(text__icontains=chosen.text)
    # Never the source's text: a transcript can be 250,000 characters, and every row would carry it.
    return (
        excerpts.select_related("source__session")
        .only(*RESULT_FIELDS)
        .order_by("source__title", "source_id", "start", "end", "id")
    )


@dataclass
class RetrievalLookups:
    """What the retrieval form and the result rows need from the study, each loaded once."""

    tree: CodeTree
    informants: dict[int, Informant]
    groups: list[InformantGroup]
    sites: list[Site]
    attributes: list[AttributeDefinition]


def retrieval_lookups(study: Study) -> RetrievalLookups:
    return RetrievalLookups(
        tree=code_row_tree(study),
        informants={
            informant.pk: informant
            for informant in Informant.objects.filter(study=study).select_related("group").order_by("code")
        },
        groups=list(InformantGroup.objects.filter(study=study)),
        sites=list(Site.objects.filter(study=study)),
        attributes=list(AttributeDefinition.objects.filter(study=study)),
    )


@dataclass
class ExcerptLinks:
    """Code ids and speaker ids per excerpt id."""

    codes: dict[int, list[int]]
    speakers: dict[int, list[int]]


def study_links(study: Study) -> ExcerptLinks:
    """The codings and speaker links of every excerpt of ``study``, in two queries.

    For exports of the whole study: two joins on the study instead of a list of a thousand ids per chunk.
    """
    codes: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, code_id in Coding.objects.filter(excerpt__study=study).values_list("excerpt_id", "code_id"):
        codes[excerpt_id].append(code_id)
    speakers: dict[int, list[int]] = defaultdict(list)
    rows = ExcerptSpeaker.objects.filter(excerpt__study=study).values_list("excerpt_id", "informant_id")
    for excerpt_id, informant_id in rows:
        speakers[excerpt_id].append(informant_id)
    return ExcerptLinks(codes=codes, speakers=speakers)


def _links_of(ids: list[int]) -> ExcerptLinks:
    codes: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, code_id in Coding.objects.filter(excerpt_id__in=ids).values_list("excerpt_id", "code_id"):
        codes[excerpt_id].append(code_id)
    speakers: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, informant_id in ExcerptSpeaker.objects.filter(excerpt_id__in=ids).values_list(
        "excerpt_id", "informant_id"
    ):
        speakers[excerpt_id].append(informant_id)
    return ExcerptLinks(codes=codes, speakers=speakers)


def attach_codes_and_speakers(
    excerpts: Iterable[Excerpt], lookups: RetrievalLookups, links: ExcerptLinks | None = None
) -> list[Excerpt]:
    """Give each excerpt ``code_list``, ``speaker_list`` and ``group_list`` with two queries in all.

    Codes and informants come from ``lookups`` (already loaded for the form), so
    only the links are read here, unless they are given (``study_links``): then no query.
    """
    excerpts = list(excerpts)
    if links is None:
        links = _links_of([excerpt.pk for excerpt in excerpts])
    by_id, informants = lookups.tree.by_id, lookups.informants
    flag_labels = {name: str(capfirst(Excerpt._meta.get_field(name).verbose_name)) for name in FLAG_FIELDS.values()}
    order = {code.pk: n for n, code in enumerate(lookups.tree.codes)}
    for excerpt in excerpts:
        excerpt.code_list = sorted((by_id[pk] for pk in links.codes.get(excerpt.pk, ())), key=lambda c: order[c.pk])
        excerpt.speaker_list = sorted(
            (informants[pk] for pk in links.speakers.get(excerpt.pk, ())), key=lambda informant: informant.code
        )
        excerpt.group_list = list(
            dict.fromkeys(informant.group for informant in excerpt.speaker_list if informant.group_id)
        )
        excerpt.flag_list = [label for name, label in flag_labels.items() if getattr(excerpt, name)]
        excerpt.context_url = f"/studies/{excerpt.study_id}/sources/{excerpt.source_id}/code/#excerpt-{excerpt.pk}"
    return excerpts


# ---------------------------------------------------------------------------
# The code matrix
# ---------------------------------------------------------------------------


@dataclass
class MatrixColumn:
    key: Any
    label: str


@dataclass
class MatrixCell:
    excerpts: int = 0
    informants: int = 0


@dataclass
class MatrixRow:
    code: Code
    cells: list[MatrixCell]
    total: MatrixCell


@dataclass
class Matrix:
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    totals: list[MatrixCell]
    grand_total: MatrixCell


def _attribute_key(definition: AttributeDefinition) -> str:
    return {
        AttributeDefinition.Kind.NUMBER: "value_number",
        AttributeDefinition.Kind.DATE: "value_date",
    }.get(definition.kind, "value_text")


def _attribute_label(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _matrix_columns(study: Study, by: str, attribute: AttributeDefinition | None) -> tuple[list[MatrixColumn], Any]:
    """The columns (in order) and the expression, on the excerpt–speaker link, that names a speaker's column."""
    if by == "informant":
        informants = Informant.objects.filter(study=study).order_by("code").values_list("pk", "code")
        return [MatrixColumn(pk, code) for pk, code in informants], F("informant_id")
    if by == "site":
        columns = [MatrixColumn(site.pk, site.pseudonym) for site in Site.objects.filter(study=study)]
        return [*columns, MatrixColumn(NONE, _("No site"))], F("informant__site_id")
    if by == "attribute" and attribute is not None:
        value_field = _attribute_key(attribute)
        values = AttributeValue.objects.filter(definition=attribute, informant__study=study)
        found = set(values.exclude(**{f"{value_field}__isnull": True}).values_list(value_field, flat=True))
        if value_field == "value_text":
            found.discard("")
        ordered = [choice for choice in attribute.choices if choice in found] + sorted(
            value for value in found if value not in attribute.choices
        )
        columns = [MatrixColumn(value, _attribute_label(value)) for value in ordered]
        expression = Subquery(
            AttributeValue.objects.filter(informant_id=OuterRef("informant_id"), definition=attribute)
            .exclude(**({"value_text": ""} if value_field == "value_text" else {}))
            .values(value_field)[:1]
        )
        return [*columns, MatrixColumn(NONE, _("No value"))], expression
    columns = [MatrixColumn(group.pk, group.label) for group in InformantGroup.objects.filter(study=study)]
    return [*columns, MatrixColumn(NONE, _("No group"))], F("informant__group_id")


def _row_passes(tree: CodeTree, rollup: bool) -> list[dict[int, list[int]]]:
    """For each aggregate pass, which codes count towards which row.

    Without roll-up one pass maps every code to itself. With roll-up, pass
    ``d`` maps every code at depth ≥ d to its ancestor at depth d; the subtrees
    of the codes at one depth are disjoint, so one ``Count(distinct)`` per pass
    gives each of those codes its excerpts and those of all its descendants,
    each excerpt once.
    """
    if not rollup:
        return [{code.pk: [code.pk] for code in tree.codes}]
    passes = []
    for depth in range(tree.max_depth + 1):
        members: dict[int, list[int]] = defaultdict(list)
        for code in tree.codes:
            if code.depth >= depth:
                members[tree.ancestor_at(code, depth).pk].append(code.pk)
        passes.append(dict(members))
    return passes


def _row_expression(members: dict[int, list[int]], code_path: str, rollup: bool) -> Any:
    if not rollup:
        return F(code_path)
    whens = [When(**{f"{code_path}__in": ids}, then=Value(row)) for row, ids in members.items()]
    return Case(*whens, default=None, output_field=IntegerField())


def code_matrix(
    study: Study, *, by: str = "group", attribute: AttributeDefinition | None = None, rollup: bool = False
) -> Matrix:
    """Codes × columns with the number of excerpts and of distinct informants in each cell.

    A handful of aggregate queries (per roll-up depth: cells, unknown speaker,
    row totals; then the column totals), never one per cell.
    """
    tree = code_tree(study)
    columns, column_expression = _matrix_columns(study, by, attribute)
    excerpts = analysed_excerpts(study)
    links = ExcerptSpeaker.objects.filter(_in_analysis(study))
    no_known_speaker = ~Exists(ExcerptSpeaker.objects.filter(excerpt_id=OuterRef("excerpt_id")))
    codings = Coding.objects.filter(_in_analysis(study))

    cells: dict[tuple[int, Any], MatrixCell] = {}
    totals: dict[int, MatrixCell] = {}
    for members in _row_passes(tree, rollup):
        per_column = (
            links.annotate(row=_row_expression(members, "excerpt__codings__code_id", rollup), column=column_expression)
            .values("row", "column")
            .annotate(excerpts=Count("excerpt_id", distinct=True), informants=Count("informant_id", distinct=True))
        )
        for item in per_column:
            if item["row"] in members:
                key = NONE if item["column"] is None else item["column"]
                cells[(item["row"], key)] = MatrixCell(item["excerpts"], item["informants"])
        coding_row = _row_expression(members, "code_id", rollup)
        unknown = (
            codings.filter(no_known_speaker)
            .annotate(row=coding_row)
            .values("row")
            .annotate(excerpts=Count("excerpt_id", distinct=True))
        )
        for item in unknown:
            if item["row"] in members:
                cells[(item["row"], UNKNOWN)] = MatrixCell(item["excerpts"], 0)
        per_row = (
            codings.annotate(row=coding_row)
            .values("row")
            .annotate(excerpts=Count("excerpt_id", distinct=True), informants=Count("excerpt__speakers", distinct=True))
        )
        for item in per_row:
            if item["row"] in members:
                totals[item["row"]] = MatrixCell(item["excerpts"], item["informants"])

    columns = [*columns, MatrixColumn(UNKNOWN, _("Unknown speaker"))]
    rows = [
        MatrixRow(
            code=code,
            cells=[cells.get((code.pk, column.key), MatrixCell()) for column in columns],
            total=totals.get(code.pk, MatrixCell()),
        )
        for code in tree.codes
    ]
    column_totals: dict[Any, MatrixCell] = {}
    for item in (
        links.filter(Exists(Coding.objects.filter(excerpt_id=OuterRef("excerpt_id"))))
        .annotate(column=column_expression)
        .values("column")
        .annotate(excerpts=Count("excerpt_id", distinct=True), informants=Count("informant_id", distinct=True))
    ):
        column_totals[NONE if item["column"] is None else item["column"]] = MatrixCell(
            item["excerpts"], item["informants"]
        )
    coded = excerpts.filter(Exists(Coding.objects.filter(excerpt_id=OuterRef("pk"))))
    column_totals[UNKNOWN] = MatrixCell(
        coded.filter(~Exists(ExcerptSpeaker.objects.filter(excerpt_id=OuterRef("pk")))).count(), 0
    )
    grand = coded.aggregate(excerpts=Count("id", distinct=True), informants=Count("speakers", distinct=True))
    return Matrix(
        columns=columns,
        rows=rows,
        totals=[column_totals.get(column.key, MatrixCell()) for column in columns],
        grand_total=MatrixCell(grand["excerpts"], grand["informants"]),
    )


# ---------------------------------------------------------------------------
# Co-occurrence
# ---------------------------------------------------------------------------


@dataclass
class CoOccurrenceRow:
    code: Code
    counts: list[int]
    position: int = 0  # where the code's own column is: the diagonal

    @property
    def cells(self) -> list[tuple[int, str]]:
        """(count, CSS class) per column, so the template does not compare loop counters 6,400 times."""
        return [
            (count, "fw-semibold table-secondary" if n == self.position else "" if count else "text-body-tertiary")
            for n, count in enumerate(self.counts)
        ]


def code_cooccurrence(study: Study) -> list[CoOccurrenceRow]:
    """Code × code: how many excerpts carry both codes; the diagonal is the number of excerpts with the code.

    One query: ``Coding`` joined to itself through the excerpt, grouped by the
    pair of codes. Only codes with at least one excerpt get a row and a column.
    """
    tree = code_tree(study)
    pairs = (
        Coding.objects.filter(_in_analysis(study))
        .values(first=F("code_id"), second=F("excerpt__codings__code_id"))
        # One coding per (excerpt, code) is a constraint, so each pair row is a distinct excerpt.
        .annotate(excerpts=Count("excerpt_id"))
    )
    together = {(item["first"], item["second"]): item["excerpts"] for item in pairs}
    codes = [code for code in tree.codes if together.get((code.pk, code.pk))]
    return [
        CoOccurrenceRow(code, [together.get((code.pk, other.pk), 0) for other in codes], position=n)
        for n, code in enumerate(codes)
    ]
