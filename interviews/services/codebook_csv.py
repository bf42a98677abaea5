"""The codebook as a CSV file: export in tree order, import with a preview that must be free of errors.

A row names its code by path (``A > B > C``). Importing never moves or deletes
codes: a code that exists by path is updated, any other is created under its
parent, which must already exist or be another row of the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Study, User
from cases.services.audit import audit_record
from cases.services.informant_import import ImportFileError, csv_decode
from interviews.models import Code
from interviews.selectors_codebook import PATH_SEPARATOR, code_paths, codebook_tree

from .codebook import build_code

CSV_COLUMNS = [
    "path",
    "name",
    "parent_path",
    "colour",
    "origin",
    "status",
    "definition",
    "research_question",
    "excerpt_count",
]
IMPORT_MAX_BYTES = 256 * 1024
IMPORT_MAX_ROWS = 1000
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def codebook_export_csv(*, study: Study) -> str:
    """The study's whole codebook in tree order, one row per code (semicolon-separated, as Norwegian Excel expects)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for node in codebook_tree(study).nodes:
        code = node.code
        writer.writerow(
            [
                node.path,
                code.name,
                node.parent_path,
                code.colour,
                code.origin,
                code.status,
                code.description,
                code.research_question.label if code.research_question else "",
                code.excerpt_count,
            ]
        )
    return out.getvalue()


class CodebookImportFileError(ValueError):
    """The upload cannot be read as a CSV file at all."""


@dataclass
class CodeImportRow:
    line: int
    cells: dict[str, str]
    path: str = ""
    name: str = ""
    parent_path: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    existing: Code | None = None
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class CodebookImportPreview:
    rows: list[CodeImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def new_rows(self) -> list[CodeImportRow]:
        return [row for row in self.rows if row.existing is None and row.is_valid]

    @property
    def update_rows(self) -> list[CodeImportRow]:
        return [row for row in self.rows if row.existing is not None and row.is_valid and row.changes]

    @property
    def invalid_rows(self) -> list[CodeImportRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows) and not self.invalid_rows


def codebook_csv_decode(data: bytes) -> str:
    """The text of an uploaded codebook CSV (UTF-8 with or without BOM, else Windows-1252), size-capped."""
    if len(data) > IMPORT_MAX_BYTES:
        raise CodebookImportFileError(
            _(
                "The file is larger than %(kb)d KB. A codebook file is usually far smaller: check that it is the right file."
            )
            % {"kb": IMPORT_MAX_BYTES // 1024}
        )
    try:
        return csv_decode(data)
    except ImportFileError as error:
        raise CodebookImportFileError(str(error)) from None


def _lookup(choices: type[Code.Origin] | type[Code.Status]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value, label in choices.choices:
        for key in (value, str(label), value.replace("_", " "), value.replace("_", "-")):
            found[key.lower()] = value
    return found


def codebook_import_parse(*, study: Study, text: str) -> CodebookImportPreview:
    """Check every row of ``text`` against the study's codebook; writes nothing.

    A row names its code by ``path`` (``A > B > C``) or by ``parent_path`` and
    ``name``. Codes that exist by path are updated (colour, origin, status,
    definition, research question); others are created under their parent,
    which must exist already or be another row of the file.
    """
    preview = CodebookImportPreview()
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        records = [cells for cells in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        preview.errors.append(_("The file cannot be read as CSV: %(error)s.") % {"error": error})
        return preview
    numbered = [(line, cells) for line, cells in enumerate(records, start=1) if any(cell.strip() for cell in cells)]
    if not numbered:
        preview.errors.append(_("The file is empty."))
        return preview
    header = [cell.strip().lower() for cell in numbered[0][1]]
    if "path" not in header and "name" not in header:
        preview.errors.append(
            _(
                "Wrong header: the first line must name the columns, with at least “path” or “name”. "
                "Expected columns: %(columns)s."
            )
            % {"columns": ", ".join(CSV_COLUMNS)}
        )
        return preview
    unknown = [name for name in header if name and name not in CSV_COLUMNS]
    if unknown:
        preview.errors.append(
            _("Unknown columns: %(unknown)s. Expected columns: %(columns)s.")
            % {"unknown": ", ".join(f"“{n}”" for n in unknown), "columns": ", ".join(CSV_COLUMNS)}
        )
        return preview
    body = numbered[1:]
    if len(body) > IMPORT_MAX_ROWS:
        preview.errors.append(_("The file has more than %(n)d rows.") % {"n": IMPORT_MAX_ROWS})
        return preview

    codes = list(Code.objects.filter(study=study).select_related("research_question"))
    paths = code_paths(codes)
    existing_by_path = {paths[code.pk]: code for code in codes}
    questions = {rq.label.strip().lower(): rq for rq in study.research_questions.all()}
    origins, statuses = _lookup(Code.Origin), _lookup(Code.Status)

    for line, cells in body:
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
        row = CodeImportRow(line=line, cells={name: values.get(name, "") for name in CSV_COLUMNS if name in header})
        _parse_names(row, values)
        _parse_fields(row, values, origins, statuses, questions)
        preview.rows.append(row)

    file_paths: dict[str, CodeImportRow] = {}
    for row in preview.rows:
        if not row.path:
            continue
        if row.path in file_paths:
            row.errors.append(
                _("The code “%(path)s” appears twice in the file (line %(line)d).")
                % {"path": row.path, "line": file_paths[row.path].line}
            )
            continue
        file_paths[row.path] = row
    for row in preview.rows:
        if row.parent_path and row.parent_path not in existing_by_path and row.parent_path not in file_paths:
            row.errors.append(
                _("Unknown parent “%(path)s”: it is neither in the codebook nor in the file.")
                % {"path": row.parent_path}
            )
        row.existing = existing_by_path.get(row.path) if row.path else None
        if row.existing is not None:
            row.changes = _changes(row.existing, row.fields)
    return preview


def _parse_names(row: CodeImportRow, values: dict[str, str]) -> None:
    path, name, parent_path = values.get("path", ""), values.get("name", ""), values.get("parent_path", "")
    if not name and path:
        parent_path, _sep, name = path.rpartition(PATH_SEPARATOR)
    if not name:
        row.errors.append(_("The code has no name."))
        return
    if len(name) > Code._meta.get_field("name").max_length:
        row.errors.append(_("The name is longer than 200 characters."))
    expected = f"{parent_path}{PATH_SEPARATOR}{name}" if parent_path else name
    if path and path != expected:
        row.errors.append(
            _("The path “%(path)s” does not match parent path and name (“%(expected)s”).")
            % {"path": path, "expected": expected}
        )
    row.path, row.name, row.parent_path = expected, name, parent_path


def _parse_fields(
    row: CodeImportRow,
    values: dict[str, str],
    origins: dict[str, str],
    statuses: dict[str, str],
    questions: dict[str, Any],
) -> None:
    colour = values.get("colour", "")
    if colour:
        if COLOUR_PATTERN.match(colour):
            row.fields["colour"] = colour.lower()
        else:
            row.errors.append(_("Bad colour “%(value)s”: write it like #1f77b4.") % {"value": colour})
    origin = values.get("origin", "")
    if origin:
        if origin.lower() in origins:
            row.fields["origin"] = origins[origin.lower()]
        else:
            row.errors.append(
                _("Bad origin “%(value)s”: use one of %(choices)s.")
                % {"value": origin, "choices": ", ".join(Code.Origin.values)}
            )
    status = values.get("status", "")
    if status:
        value = statuses.get(status.lower())
        if value is None:
            row.errors.append(_("Bad status “%(value)s”: use active or dropped.") % {"value": status})
        elif value == Code.Status.MERGED:
            row.fields["status"] = Code.Status.DROPPED
            row.warnings.append(
                _("Merged codes are imported as dropped: the file does not say what they were merged into.")
            )
        else:
            row.fields["status"] = value
    if "definition" in values:
        row.fields["description"] = values["definition"]
    label = values.get("research_question", "")
    if label:
        if label.lower() in questions:
            row.fields["research_question"] = questions[label.lower()]
        else:
            row.errors.append(
                _("Unknown research question “%(label)s”: add it to the study plan first.") % {"label": label}
            )
    elif "research_question" in values:
        row.fields["research_question"] = None


def _changes(code: Code, fields: dict[str, Any]) -> list[str]:
    changes = []
    for name, value in fields.items():
        if name == "status" and code.status == Code.Status.MERGED:
            continue
        if getattr(code, name) != value:
            changes.append(name)
    return changes


def codebook_import_apply(*, study: Study, actor: User, preview: CodebookImportPreview) -> tuple[int, int]:
    """Create and update the previewed codes, all or none; returns (created, updated).

    Parents are created before their children whatever the row order: a parent's
    path is a strict prefix of its child's, so shorter paths go first.
    """
    if not preview.is_valid:
        raise ValidationError(_("The file has errors; nothing was imported."))
    created = updated = 0
    with transaction.atomic():
        codes = list(Code.objects.select_for_update().filter(study=study))
        paths = code_paths(codes)
        by_path = {paths[code.pk]: code for code in codes}
        for row in sorted(preview.rows, key=lambda r: len(r.path)):
            code = by_path.get(row.path)
            fields = dict(row.fields)
            if code is None:
                parent = by_path[row.parent_path] if row.parent_path else None
                by_path[row.path] = build_code(study=study, actor=actor, name=row.name, parent=parent, **fields)
                created += 1
                continue
            changes = _changes(code, fields)
            if not changes:
                continue
            for name in changes:
                setattr(code, name, fields[name])
            code.full_clean()
            code.save(update_fields=changes)
            updated += 1
        audit_record(
            study=study,
            actor=actor,
            action="codebook.imported",
            target=None,
            label="",
            created=created,
            updated=updated,
        )
    return created, updated
