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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
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

    def get_status_display(self) -> str:
        """As ``Code.get_status_display``, for the matrix page's badge of a dropped or merged code."""
        return str(dict(Code.Status.choices).get(self.status, self.status))


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


@dataclass(slots=True)
class InformantRow:
    """An informant as retrieval shows it (code and group), read with ``values_list``.

    Its group is one of the study's groups the look-ups read anyway, so 1,200 informants cost
    one light query and no model instances.
    """

    pk: int
    code: str
    group_id: int | None
    group: InformantGroup | None = None

    def __str__(self) -> str:
        return self.code


@dataclass
class RetrievalLookups:
    """What the retrieval form and the result rows need from the study, each loaded once."""

    tree: CodeTree
    informants: dict[int, InformantRow]
    groups: list[InformantGroup]
    sites: list[Site]
    attributes: list[AttributeDefinition]


def retrieval_lookups(study: Study) -> RetrievalLookups:
    tree = code_row_tree(study)
    groups = list(InformantGroup.objects.filter(study=study))
    group_by_id = {group.pk: group for group in groups}
    rows = Informant.objects.filter(study=study).order_by("code").values_list("pk", "code", "group_id")
    return RetrievalLookups(
        tree=tree,
        informants={pk: InformantRow(pk, code, group_id, group_by_id.get(group_id)) for pk, code, group_id in rows},
        groups=groups,
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
    # A code or informant added (and applied) after the lookups were read is not shown until the next page.
    for excerpt in excerpts:
        excerpt.code_list = sorted(
            (by_id[pk] for pk in links.codes.get(excerpt.pk, ()) if pk in by_id), key=lambda c: order[c.pk]
        )
        excerpt.speaker_list = sorted(
            (informants[pk] for pk in links.speakers.get(excerpt.pk, ()) if pk in informants),
            key=lambda informant: informant.code,
        )
        excerpt.group_list = list(
            dict.fromkeys(informant.group for informant in excerpt.speaker_list if informant.group is not None)
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
    filter: str = ""  # the retrieval filter of the column's excerpts, as a query string ("" for none)


@dataclass(slots=True)
class MatrixCell:
    excerpts: int = 0
    informants: int = 0
    filter: str = ""


@dataclass
class MatrixRow:
    code: CodeRow
    cells: list[MatrixCell]
    total: MatrixCell
    has_children: bool = False
    is_open: bool = False


@dataclass
class Matrix:
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    totals: list[MatrixCell]
    grand_total: MatrixCell
    page: Any = None  # the Paginator page of the rows
    open_path: list[CodeRow] = field(default_factory=list)  # the opened branch, top-level code first


MATRIX_PAGE_SIZE = 100
ALL_CODES = 0  # the row key of the footer: every coded excerpt


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


def _matrix_columns(study: Study, by: str, attribute: AttributeDefinition | None) -> tuple[list[MatrixColumn], str]:
    """The columns (in order) and the SQL, on a speaker link ``es``, that names a speaker's column as text.

    The joins it needs (informant ``i``, attribute value ``av``) are in ``_MATRIX_SQL``.
    """
    if by == "informant":
        informants = Informant.objects.filter(study=study).order_by("code").values_list("pk", "code")
        return [MatrixColumn(pk, code, f"informant={pk}") for pk, code in informants], "CAST(es.informant_id AS text)"
    if by == "site":
        columns = [
            MatrixColumn(site.pk, site.pseudonym, f"site={site.pk}") for site in Site.objects.filter(study=study)
        ]
        return [*columns, MatrixColumn(NONE, _("No site"))], "CAST(i.site_id AS text)"
    if by == "attribute" and attribute is not None:
        value_field = _attribute_key(attribute)
        values = AttributeValue.objects.filter(definition=attribute, informant__study=study)
        found = set(values.exclude(**{f"{value_field}__isnull": True}).values_list(value_field, flat=True))
        if value_field == "value_text":
            found.discard("")
        ordered = [choice for choice in attribute.choices if choice in found] + sorted(
            value for value in found if value not in attribute.choices
        )
        columns = [
            MatrixColumn(
                value,
                _attribute_label(value),
                urlencode({"attribute": attribute.pk, "attribute_value": _attribute_label(value)}),
            )
            for value in ordered
        ]
        expression = "NULLIF(av.value_text, '')" if value_field == "value_text" else f"CAST(av.{value_field} AS text)"
        return [*columns, MatrixColumn(NONE, _("No value"))], expression
    groups = InformantGroup.objects.filter(study=study)
    columns = [MatrixColumn(group.pk, group.label, f"group={group.pk}") for group in groups]
    return [*columns, MatrixColumn(NONE, _("No group"))], "CAST(i.group_id AS text)"


# One aggregate for a page: ``rows_map`` says which codes count towards which row (a code counts towards
# every visible row above it when sub-codes are rolled up); ``hits`` are the (row, excerpt) pairs of current
# sources, and with ``{footer}`` every coded excerpt once more as row ALL_CODES (a semi-join, not a distinct
# over all codings); each hit is joined to its speakers (none: the unknown-speaker column) and counted per
# (row, column) and per row. A pair twice (an excerpt coded with a code and its sub-code, rolled up) is not
# removed first: the counts are COUNT(DISTINCT …) anyway, and a DISTINCT over the 316,000 pairs of the
# rolled-up export at 100× spilled to disk (its aggregate 870 → 530 ms without it).
_MATRIX_SQL = """
WITH rows_map(code_id, row_id) AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[])),
hits AS (
    SELECT m.row_id, c.excerpt_id
    FROM interviews_coding c
    JOIN rows_map m ON m.code_id = c.code_id
    JOIN interviews_excerpt e ON e.id = c.excerpt_id
    JOIN interviews_source s ON s.id = e.source_id
    WHERE e.study_id = %s AND s.is_current{only}
    {footer}
),
linked AS (
    SELECT h.row_id, h.excerpt_id, es.informant_id,
        CASE WHEN es.informant_id IS NULL THEN 'unknown' ELSE COALESCE({column}, 'none') END AS col
    FROM hits h
    LEFT JOIN interviews_excerpt_speakers es ON es.excerpt_id = h.excerpt_id
    LEFT JOIN cases_informant i ON i.id = es.informant_id
    LEFT JOIN cases_attributevalue av ON av.informant_id = es.informant_id AND av.definition_id = %s
)
SELECT row_id, col, GROUPING(col), COUNT(DISTINCT excerpt_id), COUNT(DISTINCT informant_id)
FROM linked
GROUP BY GROUPING SETS ((row_id, col), (row_id))
"""

_FOOTER_SQL = """UNION ALL
    SELECT 0, e.id
    FROM interviews_excerpt e
    JOIN interviews_source s ON s.id = e.source_id
    WHERE e.study_id = %s AND s.is_current{only}
        AND EXISTS (SELECT 1 FROM interviews_coding c WHERE c.excerpt_id = e.id)"""  # 0: ALL_CODES


# The aggregate sorts and hashes a few hundred thousand (row, excerpt, speaker) rows at 100× a typical study.
# With PostgreSQL's default work_mem (4 MB) they spill to temporary files: the page's aggregate took 288 ms
# (median of 6, alternating), 216 with 16 MB, 225 with 32 MB. Raised for this statement's transaction only.
MATRIX_WORK_MEM = "32MB"
# And it reads the study's codings and excerpt–speaker links by their indexes rather than hashing those of every
# study on the server: with PostgreSQL's default random_page_cost (4, for spinning disks) it hashed all of them,
# because it cannot know that a study's codes are coded on that study's excerpts (it guessed 1,477 hits for
# 14,456). In a database of three studies (1×, 10×, 100×), a 10× study's aggregate took 122 ms rolled up and
# 83 ms code by code, 60 and 29 with 1.1 (the usual value for SSDs, and the study's pages are in memory), the
# 100× study's 277 / 224 → 246 / 203 ms, the 1× study's 12.9 either way (medians of 7, alternating). Raised for
# this statement's transaction only, like work_mem: the rest of the application keeps the server's setting.
MATRIX_RANDOM_PAGE_COST = "1.1"


def matrix_counts(
    study: Study,
    codes: list[int],
    rows: list[int],
    column_sql: str,
    *,
    attribute: AttributeDefinition | None = None,
    excluded: Iterable[int] = (),
    footer: bool = False,
) -> tuple[dict[tuple[int, str], MatrixCell], dict[int, MatrixCell]]:
    """One aggregate: ({(row, column key as text): cell}, {row: total}); ``codes[n]`` counts towards ``rows[n]``.

    ``excluded`` are excerpt ids left out of the count (the consent exclusions of an export, as
    ``consent_policy.left_out`` found them); with ``footer``, row ALL_CODES counts every coded excerpt (the
    column totals and the grand total).
    """
    # The ids, not the exclusion as a subquery: PostgreSQL cannot estimate the consent condition and
    # guessed that nearly every excerpt was excluded, then walked 80,000 excerpts one by one (600 → 340 ms at 100×).
    left_out = sorted(excluded)
    only_sql = " AND e.id NOT IN (SELECT unnest(%s::bigint[]))" if left_out else ""
    only_params: list[Any] = [left_out] if left_out else []
    params: list[Any] = [codes, rows, study.pk, *only_params]
    footer_sql = ""
    if footer:
        footer_sql = _FOOTER_SQL.replace("{only}", only_sql)
        params += [study.pk, *only_params]
    params.append(attribute.pk if attribute else None)
    if connection.vendor != "postgresql":
        return _matrix_counts_in_python(study, codes, rows, column_sql, attribute, set(left_out), footer)
    cells: dict[tuple[int, str], MatrixCell] = {}
    totals: dict[int, MatrixCell] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(  # until COMMIT
            "SELECT set_config('work_mem', %s, true), set_config('random_page_cost', %s, true)",
            [MATRIX_WORK_MEM, MATRIX_RANDOM_PAGE_COST],
        )
        cursor.execute(
            _MATRIX_SQL.replace("{column}", column_sql).replace("{only}", only_sql).replace("{footer}", footer_sql),
            params,
        )
        for row, column, is_total, excerpts, informants in cursor:  # one row at a time, not a list of 50,000
            if is_total:
                totals[row] = MatrixCell(excerpts, informants)
            else:
                cells[(row, column)] = MatrixCell(excerpts, informants)
    return cells, totals


# Elsewhere than on PostgreSQL (the SQLite of a laptop trial): every coding of the study's current sources with
# each of its speakers and the speaker's column, counted in Python as _MATRIX_SQL counts them.
_CODINGS_WITH_SPEAKERS_SQL = """
SELECT c.code_id, e.id, es.informant_id,
    CASE WHEN es.informant_id IS NULL THEN 'unknown' ELSE COALESCE({column}, 'none') END
FROM interviews_coding c
JOIN interviews_excerpt e ON e.id = c.excerpt_id
JOIN interviews_source s ON s.id = e.source_id
LEFT JOIN interviews_excerpt_speakers es ON es.excerpt_id = e.id
LEFT JOIN cases_informant i ON i.id = es.informant_id
LEFT JOIN cases_attributevalue av ON av.informant_id = es.informant_id AND av.definition_id = %s
WHERE e.study_id = %s AND s.is_current = %s
"""


def _matrix_counts_in_python(
    study: Study,
    codes: list[int],
    rows: list[int],
    column_sql: str,
    attribute: AttributeDefinition | None,
    excluded: set[int],
    footer: bool,
) -> tuple[dict[tuple[int, str], MatrixCell], dict[int, MatrixCell]]:
    """:func:`matrix_counts` without PostgreSQL's arrays and GROUPING SETS: one plain query, the same counts."""
    rows_of: dict[int, list[int]] = defaultdict(list)
    for code, row in zip(codes, rows, strict=True):
        rows_of[code].append(row)
    cell_sets: dict[tuple[int, str], tuple[set, set]] = defaultdict(lambda: (set(), set()))
    total_sets: dict[int, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    with connection.cursor() as cursor:
        cursor.execute(
            _CODINGS_WITH_SPEAKERS_SQL.replace("{column}", column_sql),
            [attribute.pk if attribute else None, study.pk, True],
        )
        for code, excerpt, informant, column in cursor:
            if excerpt in excluded:
                continue
            for row in [*rows_of.get(code, ()), *([ALL_CODES] if footer else [])]:
                for excerpts, informants in (cell_sets[(row, column)], total_sets[row]):
                    excerpts.add(excerpt)
                    if informant is not None:
                        informants.add(informant)
    cells = {key: MatrixCell(len(excerpts), len(informants)) for key, (excerpts, informants) in cell_sets.items()}
    totals = {row: MatrixCell(len(excerpts), len(informants)) for row, (excerpts, informants) in total_sets.items()}
    return cells, totals


def _visible_codes(tree: CodeTree, rollup: bool, open_id: int | None) -> tuple[list[CodeRow], list[CodeRow]]:
    """The rows to show, in tree order, and the opened branch (top-level code first).

    Every code on its own: all codes. Rolled up: the top-level codes, and the children of
    each code on the path down to ``open_id``.
    """
    if not rollup:
        return tree.codes, []
    path: list[CodeRow] = []
    code = tree.by_id.get(open_id) if open_id is not None else None
    while code is not None:
        path.insert(0, code)
        code = tree.by_id.get(code.parent_id)
    opened = {code.pk for code in path}
    visible = [
        code for code in tree.codes if code.depth == 0 or (code.parent_id in opened and code.parent_id in tree.by_id)
    ]
    return visible, path


def _counted(
    study: Study,
    tree: CodeTree,
    shown: Iterable[CodeRow],
    column_sql: str,
    *,
    attribute: AttributeDefinition | None,
    rollup: bool,
) -> tuple[dict[tuple[int, str], MatrixCell], dict[int, MatrixCell]]:
    """The aggregate for the rows ``shown`` (each counting its subtree when rolled up), with the footer."""
    codes: list[int] = []
    rows: list[int] = []
    for code in shown:
        members = tree.descendant_ids(code.pk) if rollup else [code.pk]
        codes += members
        rows += [code.pk] * len(members)
    return matrix_counts(study, codes, rows, column_sql, attribute=attribute, footer=True)


@dataclass
class MatrixTable:
    """Every code as a row, for the CSV: the same counts as the page, with no links and no per-cell objects."""

    columns: list[MatrixColumn]
    rows: Iterator[tuple[CodeRow, list[MatrixCell]]]  # each code with its cells and then its total
    footer: list[MatrixCell]  # the column totals and then the grand total


def matrix_table(
    study: Study, *, by: str = "group", attribute: AttributeDefinition | None = None, rollup: bool = False
) -> MatrixTable:
    """:func:`code_matrix` with every code a row, in the same three queries, all made before this returns.

    The rows are made as they are read, from the aggregate's cells: a 6,000-code export no
    longer builds 60,000 cell objects with their retrieval links first.
    """
    tree = code_row_tree(study)
    columns, column_sql = _matrix_columns(study, by, attribute)
    cells, totals = _counted(study, tree, tree.codes, column_sql, attribute=attribute, rollup=rollup)
    columns = [*columns, MatrixColumn(UNKNOWN, _("Unknown speaker"))]
    keys = [str(column.key) for column in columns]
    empty = MatrixCell()

    def rows() -> Iterator[tuple[CodeRow, list[MatrixCell]]]:
        for code in tree.codes:
            yield code, [*(cells.get((code.pk, key), empty) for key in keys), totals.get(code.pk, empty)]

    footer = [*(cells.get((ALL_CODES, key), empty) for key in keys), totals.get(ALL_CODES, empty)]
    return MatrixTable(columns=columns, rows=rows(), footer=footer)


def code_matrix(
    study: Study,
    *,
    by: str = "group",
    attribute: AttributeDefinition | None = None,
    rollup: bool = False,
    open_id: int | None = None,
    page: Any = None,
    page_size: int | None = MATRIX_PAGE_SIZE,
) -> Matrix:
    """Codes × columns with the number of excerpts and of distinct informants in each cell.

    Rolled up, the rows are the top-level codes (and the children of each code on the
    path to ``open_id``), each counting the excerpts of its whole subtree once. Rows come
    in pages of ``page_size``; with ``page_size=None`` every code is a row (the CSV uses the lighter
    :func:`matrix_table`). Three queries whatever the size: the codes, the columns,
    and one aggregate (GROUPING SETS) for the page's cells, its row totals and the footer.
    """
    tree = code_row_tree(study)  # light rows: 6,000 model instances took longer than the page's aggregate
    columns, column_sql = _matrix_columns(study, by, attribute)
    visible, open_path = _visible_codes(tree, rollup, open_id) if page_size else (tree.codes, [])
    if page is None:  # the page that shows the opened branch
        page = 1
        if open_path and page_size:
            page = next((n for n, code in enumerate(visible) if code.parent_id == open_path[-1].pk), 0) // page_size + 1
    paged = Paginator(visible, page_size or max(len(visible), 1)).get_page(page)
    cells, totals = _counted(study, tree, paged.object_list, column_sql, attribute=attribute, rollup=rollup)
    columns = [*columns, MatrixColumn(UNKNOWN, _("Unknown speaker"))]
    keys = [str(column.key) for column in columns]  # as the SQL names them: a numeric or date attribute as text
    opened = {code.pk for code in open_path}
    return Matrix(
        columns=columns,
        rows=[
            MatrixRow(
                code=code,
                cells=[
                    replace(cells.get((code.pk, key), MatrixCell()), filter=column.filter)
                    for key, column in zip(keys, columns, strict=True)
                ],
                total=totals.get(code.pk, MatrixCell()),
                has_children=rollup and bool(tree.children.get(code.pk)),
                is_open=code.pk in opened,
            )
            for code in paged.object_list
        ],
        totals=[cells.get((ALL_CODES, key), MatrixCell()) for key in keys],
        grand_total=totals.get(ALL_CODES, MatrixCell()),
        page=paged,
        open_path=open_path,
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


# The page shows at most this many codes (a typical codebook has 60): a 600-code study's table of 360,000 cells
# took 3.9 s to render and weighed 12.5 MB, more than anyone reads on a screen. The CSV has every code.
COOCCURRENCE_PAGE_CODES = 60


@dataclass
class CoOccurrence:
    """The pair counts of one study; the rows are built only for the codes asked for."""

    codes: list[CodeRow]  # every code with at least one excerpt, in tree order
    together: dict[tuple[int, int], int]
    shown: list[CodeRow] = field(default_factory=list)  # the codes whose pairs were all counted (tree order)

    def rows(self, codes: list[CodeRow] | None = None) -> Iterator[CoOccurrenceRow]:
        """A row per code of ``codes`` (default: every code), each with a column per code of ``codes``."""
        codes = self.codes if codes is None else codes
        for n, code in enumerate(codes):
            yield CoOccurrenceRow(code, [self.together.get((code.pk, other.pk), 0) for other in codes], position=n)

    def most_used(self, limit: int) -> list[CodeRow]:
        """The ``limit`` codes with the most excerpts (ties: tree order), kept in tree order."""
        if len(self.codes) <= limit:
            return self.codes
        ranked = sorted(range(len(self.codes)), key=lambda n: -self.together[(self.codes[n].pk, self.codes[n].pk)])
        return [self.codes[n] for n in sorted(ranked[:limit])]


def code_cooccurrence_counts(study: Study, *, most_used: int | None = None) -> CoOccurrence:
    """Code × code: how many excerpts carry both codes; ``(code, code)`` is the number of excerpts with the code.

    The codes, then one query: ``Coding`` joined to itself through the excerpt, grouped by the
    pair of codes. Only codes with at least one excerpt are among ``codes``.
    With ``most_used``, a count of each code's excerpts comes first, and the pairs are counted only for the
    ``most_used`` codes with the most excerpts (the page's): joining a 6,000-code study's 144,000 codings with
    themselves took most of the page's 720–900 ms.
    """
    tree = code_tree(study)
    codings = Coding.objects.filter(_in_analysis(study))
    shown = None
    together: dict[tuple[int, int], int] = {}
    if most_used is not None:
        excerpts = dict(codings.order_by().values_list("code_id").annotate(excerpts=Count("excerpt_id")))
        together = {(code, code): count for code, count in excerpts.items()}
        shown = CoOccurrence([code for code in tree.codes if code.pk in excerpts], together).most_used(most_used)
        codings = codings.filter(code_id__in=[code.pk for code in shown])
    pairs = (
        codings.values(first=F("code_id"), second=F("excerpt__codings__code_id"))
        # One coding per (excerpt, code) is a constraint, so each pair row is a distinct excerpt.
        .annotate(excerpts=Count("excerpt_id"))
    )
    together.update({(item["first"], item["second"]): item["excerpts"] for item in pairs})
    codes = [code for code in tree.codes if together.get((code.pk, code.pk))]
    return CoOccurrence(codes, together, codes if shown is None else shown)


def code_cooccurrence(study: Study) -> list[CoOccurrenceRow]:
    """Every code with an excerpt as a row and a column (:func:`code_cooccurrence_counts`)."""
    return list(code_cooccurrence_counts(study).rows())
