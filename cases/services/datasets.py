"""Secondary quantitative datasets: tables the study did not collect itself.

A dataset is typed in or pasted from a spreadsheet (tab, semicolon or comma
separated; decimal comma or point). The first line holds the row heading and
the column headings; each further line a row label and one number per column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import SecondaryDataset, SecondaryDatasetRow, Study, User

from .audit import audit_record
from .records import record_delete


@dataclass
class RowInput:
    label: str
    values: list[float | None]
    is_reference: bool = False


@dataclass
class ParsedTable:
    row_heading: str
    columns: list[str]
    rows: list[RowInput]


def _number(cell: str, line: int) -> float | None:
    cell = cell.strip().replace("\u00a0", "").replace(" ", "")
    if not cell or cell in {"-", "–"}:
        return None
    try:
        value = Decimal(cell.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(
            {"table": _("Line %(line)d: “%(cell)s” is not a number.") % {"line": line, "cell": cell}}
        ) from None
    if not value.is_finite():
        raise ValidationError({"table": _("Line %(line)d: “%(cell)s” is not a number.") % {"line": line, "cell": cell}})
    return float(value)


def dataset_parse(text: str, *, reference_rows: list[str] | None = None) -> ParsedTable:
    """Read a pasted table; a row whose label is in ``reference_rows`` is marked as a reference row."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) < 2:
        raise ValidationError({"table": _("Paste a heading line and at least one row.")})
    sample = lines[0]
    delimiter = "\t" if "\t" in sample else ";" if ";" in sample else ","
    parsed = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    heading, *body = parsed
    if len(heading) < 2:
        raise ValidationError({"table": _("The heading line needs a row heading and at least one column.")})
    columns = [cell.strip() for cell in heading[1:]]
    references = {label.strip().casefold() for label in reference_rows or []}
    rows = []
    for number, cells in enumerate(body, start=2):
        if len(cells) - 1 != len(columns):
            raise ValidationError(
                {
                    "table": _("Line %(line)d has %(found)d values; the heading has %(expected)d columns.")
                    % {"line": number, "found": len(cells) - 1, "expected": len(columns)}
                }
            )
        label = cells[0].strip()
        if not label:
            raise ValidationError({"table": _("Line %(line)d has no row label.") % {"line": number}})
        rows.append(
            RowInput(
                label=label,
                values=[_number(cell, number) for cell in cells[1:]],
                is_reference=label.casefold() in references,
            )
        )
    return ParsedTable(row_heading=heading[0].strip(), columns=columns, rows=rows)


def _replace_rows(dataset: SecondaryDataset, rows: list[RowInput]) -> None:
    dataset.rows.all().delete()
    objects = [
        SecondaryDatasetRow(
            dataset=dataset, position=position, label=row.label, values=row.values, is_reference=row.is_reference
        )
        for position, row in enumerate(rows)
    ]
    for row in objects:
        row.full_clean()
    SecondaryDatasetRow.objects.bulk_create(objects)


def dataset_create(
    *, study: Study, actor: User, columns: list[str], rows: list[RowInput], **fields: Any
) -> SecondaryDataset:
    """Create a dataset with its rows; every row must have one value (or None) per column."""
    with transaction.atomic():
        dataset = SecondaryDataset(study=study, columns=columns, **fields)
        dataset.full_clean()
        dataset.save()
        _replace_rows(dataset, rows)
        audit_record(
            study=study, actor=actor, action="dataset.created", target=dataset, label=dataset.title, rows=len(rows)
        )
    return dataset


def dataset_update(
    *, dataset: SecondaryDataset, actor: User, data: dict[str, Any], rows: list[RowInput] | None = None
) -> SecondaryDataset:
    """Change the dataset's fields and, if given, replace its columns and rows."""
    with transaction.atomic():
        for name, value in data.items():
            setattr(dataset, name, value)
        dataset.full_clean()
        dataset.save()
        if rows is not None:
            _replace_rows(dataset, rows)
        audit_record(
            study=dataset.study,
            actor=actor,
            action="dataset.updated",
            target=dataset,
            label=dataset.title,
            fields=sorted(data),
        )
    return dataset


def dataset_delete(*, dataset: SecondaryDataset, actor: User) -> None:
    record_delete(study=dataset.study, actor=actor, instance=dataset, action="dataset.deleted", label=dataset.title)
