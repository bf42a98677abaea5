"""Spreadsheet exports: excerpts (CSV, XLSX), the codebook (XLSX) and the code × group matrix (XLSX).

Every export leaves out what an informant without valid consent says
(``cases.consent_policy``) and says so in a last row. Excerpts are read in
chunks and written row by row (openpyxl's write-only mode), so a large study is
never in memory whole. Text that starts like a formula (``=``, ``+``, ``-``,
``@``) is written as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from cases import consent_policy
from cases.models import InformantGroup, Study
from interviews import selectors_analysis as selectors
from interviews.models import Code, Source
from interviews.selectors_codebook import PATH_SEPARATOR, build_tree, codebook_tree

CHUNK = 1000
SPOOL_BYTES = 8 * 1024 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CELL_MAX = 32_767  # Excel's limit for one cell


@dataclass
class Table:
    header: list[str]
    rows: Iterable[list[Any]]
    note: str = ""  # said after the table, after a blank row


# Excerpts --------------------------------------------------------------------------------------------------------------


def excerpt_table(study: Study) -> Table:
    """One row per excerpt and code (an excerpt without codes gets one row), in source order.

    Code paths are written as in the codebook files (``A > B``), so the two sheets can be joined on them.
    """
    lookups = selectors.retrieval_lookups(study)
    matching = selectors.retrieval_excerpts(study, selectors.RetrievalFilter())
    left_out = consent_policy.left_out(matching, study)
    excerpts = consent_policy.excerpts_without_excluded(matching, study)

    def rows() -> Iterator[list[Any]]:
        links = selectors.study_links(study)  # two joins for the whole study, not two id lists per chunk
        # Plain rows, not model instances: building an excerpt with its source and session took most of the time.
        chunk: list[SimpleNamespace] = []
        for values in excerpts.values_list(*_LIGHT_FIELDS).iterator(chunk_size=CHUNK):
            chunk.append(SimpleNamespace(**dict(zip(_LIGHT_NAMES, values, strict=True))))
            if len(chunk) == CHUNK:
                yield from _excerpt_rows(chunk, lookups, links)
                chunk = []
        yield from _excerpt_rows(chunk, lookups, links)

    header = [
        _("Code path"),
        _("Excerpt"),
        _("Source"),
        _("Session"),
        _("Informant code"),
        _("Group"),
        _("Flags"),
        _("Memo"),
        _("Start"),
        _("End"),
    ]
    return Table(header=header, rows=rows(), note=left_out.summary)


# What a row of the table needs of an excerpt, as ``values_list`` reads it and under the names
# ``attach_codes_and_speakers`` and the row use.
_LIGHT = {
    "pk": "id",
    "study_id": "study_id",
    "source_id": "source_id",
    "text": "text",
    "memo": "memo",
    "start": "start",
    "end": "end",
    **{name: name for name in selectors.FLAG_FIELDS.values()},
    "source_title": "source__title",
    "source_version": "source__version",
    "session_code": "source__session__code",
}
_LIGHT_NAMES, _LIGHT_FIELDS = tuple(_LIGHT), tuple(_LIGHT.values())


def _excerpt_rows(
    excerpts: list[SimpleNamespace], lookups: selectors.RetrievalLookups, links: selectors.ExcerptLinks
) -> Iterator[list[Any]]:
    for excerpt in selectors.attach_codes_and_speakers(excerpts, lookups, links):
        shared = [
            excerpt.text,
            Source.display_title(excerpt.source_title, excerpt.source_version),
            excerpt.session_code or "",
            ", ".join(informant.code for informant in excerpt.speaker_list),
            ", ".join(group.label for group in excerpt.group_list),
            ", ".join(excerpt.flag_list),
            excerpt.memo,
            excerpt.start,
            excerpt.end,
        ]
        for code in excerpt.code_list or [None]:
            yield [PATH_SEPARATOR.join(code.path_names) if code else "", *shared]


# The codebook ----------------------------------------------------------------------------------------------------------


def codebook_table(study: Study) -> Table:
    header = [
        _("Path"),
        _("Name"),
        _("Level"),
        _("Colour"),
        _("Origin"),
        _("Status"),
        _("Definition"),
        _("Research question"),
        _("Excerpts"),
        _("Informants"),
    ]
    rows = [
        [
            node.path,
            node.code.name,
            node.depth + 1,
            node.code.colour,
            str(node.code.get_origin_display()),
            str(node.code.get_status_display()),
            node.code.description,
            node.code.research_question.label if node.code.research_question else "",
            node.code.excerpt_count,
            node.code.informant_count,
        ]
        for node in codebook_tree(study).nodes
    ]
    return Table(header=header, rows=rows)


# Code × group ----------------------------------------------------------------------------------------------------------


def code_group_table(study: Study) -> Table:
    """Codes (tree order) × informant groups: excerpts and distinct informants per cell, consent exclusions applied.

    An excerpt counts in a group's column when one of its speakers belongs to the group; "No group" and the row
    total count every excerpt with the code. One aggregate query (``selectors.matrix_counts``), never one per cell.
    The codes are read as light rows (their paths are all the sheet shows of them), and the rows are made as
    the sheet is written.
    """
    matching = selectors.analysed_excerpts(study)
    left_out = consent_policy.left_out(matching, study)
    groups = list(InformantGroup.objects.filter(study=study))
    fields = ("id", "parent_id", "name", "colour", "status", "position")
    nodes = build_tree(selectors.CodeRow(*row) for row in Code.objects.filter(study=study).values_list(*fields)).nodes
    codes = [node.code.pk for node in nodes]
    cells, totals = selectors.matrix_counts(study, codes, codes, "CAST(i.group_id AS text)", excluded=left_out.excerpt_ids)
    columns = [str(group.pk) for group in groups] + [selectors.NONE]
    header = [_("Code")]
    for label in [*(group.label for group in groups), _("No group"), _("Total")]:
        header += [
            _("%(column)s: excerpts") % {"column": label},
            _("%(column)s: informants") % {"column": label},
        ]

    def rows() -> Iterator[list[Any]]:
        empty = selectors.MatrixCell()
        for node in nodes:
            pk = node.code.pk
            row: list[Any] = [node.path]
            for key in columns:
                cell = cells.get((pk, key), empty)
                row += [cell.excerpts, cell.informants]
            total = totals.get(pk, empty)
            row += [total.excerpts, total.informants]
            yield row

    return Table(header=header, rows=rows(), note=left_out.summary)


# Writers ---------------------------------------------------------------------------------------------------------------


CSV_PIECE = 64 * 1024  # characters per streamed piece: one write per row would cost more than the rows


def write_csv(table: Table) -> Iterator[str]:
    """The table as CSV (UTF-8 with a byte-order mark first, so Excel shows æøå), in pieces of about 64 KB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    yield "\ufeff"
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow(row)
        if buffer.tell() >= CSV_PIECE:
            yield flush()
    if table.note:
        writer.writerow([])
        writer.writerow([table.note])
    yield flush()


def _cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, str) and len(value) > CELL_MAX:
        value = value[: CELL_MAX - 1] + "…"
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def write_xlsx(table: Table, *, title: str) -> IO[bytes]:
    """The table as a one-sheet workbook in a spooled temporary file, rewound."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, value, bold=True) for value in table.header])
    for row in table.rows:
        # A number goes in as it is: openpyxl writes it through one reused cell, where a WriteOnlyCell of its own
        # cost an object and a caught exception each (a 6,000-code matrix has 120,000 of them). The XML is the same.
        sheet.append([value if type(value) is int else _cell(sheet, value) for value in row])
    if table.note:
        sheet.append([])
        sheet.append([_cell(sheet, table.note, bold=True)])
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    workbook.save(out)
    out.seek(0)
    return out
