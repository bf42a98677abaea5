"""Importing informants from a CSV file: parse into a preview, then apply all rows or none.

The file is read as text once (:func:`csv_decode`), parsed into an
:class:`ImportPreview` that says for every row what is wrong, and only a
preview without a single error may be applied. Applying runs every row through
``informant_create`` in one transaction, so a row that fails at the last moment
(another user took the code in between) rolls the whole import back.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import AttributeDefinition, Informant, InformantGroup, Site, Study, User

from .audit import audit_record
from .people import attribute_parse, informant_create

STANDARD_COLUMNS = ["code", "group", "site", "role", "recruitment_channel", "relationship", "status"]
MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000


class ImportFileError(ValueError):
    """The upload cannot be read as a CSV file at all (too large, not text)."""


@dataclass
class ImportRow:
    line: int
    cells: dict[str, str]
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[AttributeDefinition, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    columns: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems with the file as a whole

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows) and not self.invalid_rows


def expected_columns(study: Study) -> list[str]:
    return STANDARD_COLUMNS + list(AttributeDefinition.objects.filter(study=study).values_list("name", flat=True))


def csv_decode(data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without BOM), else Windows-1252, else Latin-1.

    Spreadsheet programs on Norwegian Windows machines still save CSV as
    Windows-1252, so æøå must survive that path too.
    """
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB. Split it into smaller files.") % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    if b"\x00" in data:
        raise ImportFileError(_("This is not a text file. Save the spreadsheet as CSV and upload that."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            # Latin-1 decodes every byte; it differs from Windows-1252 only where that has holes.
            text = data.decode("latin-1")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _delimiter(header_line: str) -> str:
    return max((";", ",", "\t"), key=header_line.count)


def _choice_lookup(choices: type[Informant.Status] | type[Informant.Relationship]) -> dict[str, str]:
    """Both the stored value and the English label of each choice, lower-cased, to the value."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
        lookup[value.replace("_", " ").lower()] = value
    return lookup


STATUS_LOOKUP = _choice_lookup(Informant.Status)
RELATIONSHIP_LOOKUP = _choice_lookup(Informant.Relationship)


def informant_import_parse(*, study: Study, text: str) -> ImportPreview:
    """Check every row of ``text`` against the study; writes nothing.

    The preview is valid only when the header is right, there is at least one
    row and no row has an error.
    """
    preview = ImportPreview()
    first = next((line for line in text.split("\n") if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    try:
        records = [(reader.line_num, cells) for cells in reader if any(cell.strip() for cell in cells)]
    except csv.Error as error:
        preview.errors.append(_("The file cannot be read as CSV: %(error)s.") % {"error": error})
        return preview
    if not records:
        preview.errors.append(_("The file is empty."))
        return preview
    header = [cell.strip() for cell in records[0][1]]
    body = records[1:]

    definitions = {d.name.lower(): d for d in AttributeDefinition.objects.filter(study=study)}
    expected = expected_columns(study)
    columns = [name.lower() if name.lower() in STANDARD_COLUMNS else name for name in header]
    if "code" not in columns:
        preview.errors.append(
            _(
                "Wrong header: the first line must name the columns, and “code” is missing. Expected columns: %(columns)s."
            )
            % {"columns": ", ".join(expected)}
        )
        return preview
    unknown = [name for name in columns if name not in STANDARD_COLUMNS and name.lower() not in definitions]
    if unknown:
        preview.errors.append(
            _(
                "Unknown columns: %(unknown)s. Expected columns: %(columns)s. Add an informant attribute first to import it."
            )
            % {"unknown": ", ".join(f"“{name}”" for name in unknown), "columns": ", ".join(expected)}
        )
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        preview.errors.append(_("Columns named twice: %(columns)s.") % {"columns": ", ".join(repeated)})
    if not body:
        preview.errors.append(_("The file has a header but no informants."))
    if len(body) > MAX_ROWS:
        preview.errors.append(
            ngettext(
                "The file has %(n)d row; import at most %(max)d at a time.",
                "The file has %(n)d rows; import at most %(max)d at a time.",
                len(body),
            )
            % {"n": len(body), "max": MAX_ROWS}
        )
    preview.columns = columns
    if preview.errors:
        return preview

    groups = {g.label.lower(): g for g in InformantGroup.objects.filter(study=study)}
    sites = {s.pseudonym.lower(): s for s in Site.objects.filter(study=study)}
    existing = {code.lower() for code in Informant.objects.filter(study=study).values_list("code", flat=True)}
    seen: dict[str, int] = {}
    for line, cells in body:
        row = ImportRow(line=line, cells={name: "" for name in columns})
        if len(cells) > len(columns):
            row.errors.append(
                _("The row has %(cells)d cells but the header names %(columns)d columns.")
                % {"cells": len(cells), "columns": len(columns)}
            )
        for name, cell in zip(columns, cells, strict=False):
            row.cells[name] = cell.strip()
        _row_check(row, study=study, groups=groups, sites=sites, definitions=definitions, existing=existing, seen=seen)
        preview.rows.append(row)
    return preview


def _row_check(
    row: ImportRow,
    *,
    study: Study,
    groups: dict[str, InformantGroup],
    sites: dict[str, Site],
    definitions: dict[str, AttributeDefinition],
    existing: set[str],
    seen: dict[str, int],
) -> None:
    cells = row.cells
    code = cells.get("code", "")
    if not code:
        row.errors.append(_("The code is missing."))
    elif code.lower() in seen:
        row.errors.append(
            _("The code %(code)s is already used on line %(line)d of this file.")
            % {"code": code, "line": seen[code.lower()]}
        )
    elif code.lower() in existing:
        row.errors.append(_("An informant with the code %(code)s already exists in the study.") % {"code": code})
    if code:
        seen.setdefault(code.lower(), row.line)
    row.fields["code"] = code

    for column, lookup, what in (("group", groups, _("group")), ("site", sites, _("site"))):
        label = cells.get(column, "")
        if not label:
            row.fields[column] = None
        elif label.lower() in lookup:
            row.fields[column] = lookup[label.lower()]
        else:
            row.errors.append(
                _("There is no %(what)s called “%(label)s”. Known: %(known)s.")
                % {"what": what, "label": label, "known": ", ".join(str(o) for o in lookup.values()) or "–"}
            )

    for column, lookup, choices in (
        ("status", STATUS_LOOKUP, Informant.Status),
        ("relationship", RELATIONSHIP_LOOKUP, Informant.Relationship),
    ):
        value = cells.get(column, "")
        if not value:
            continue
        if value.lower() in lookup:
            row.fields[column] = lookup[value.lower()]
        else:
            row.errors.append(
                _("“%(value)s” is not a valid %(column)s. Use one of: %(choices)s.")
                % {"value": value, "column": column, "choices": ", ".join(choices.values)}
            )

    for column in ("role", "recruitment_channel"):
        row.fields[column] = cells.get(column, "")

    for name, value in cells.items():
        definition = definitions.get(name.lower())
        if definition is None or name in STANDARD_COLUMNS:
            continue
        try:
            attribute_parse(definition, value)
        except ValidationError as error:
            row.errors.extend(error.messages)
        else:
            row.attributes[definition] = value

    informant = Informant(study=study, **{k: v for k, v in row.fields.items() if v is not None})
    try:
        # Group and site were looked up above; skipping them saves two queries per row.
        exclude = ["study", "group", "site"] + ([] if code else ["code"])
        informant.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for field_name, messages in error.message_dict.items():
            label = Informant._meta.get_field(field_name).verbose_name if field_name != "__all__" else ""
            row.errors.extend(f"{label}: {message}" if label else message for message in messages)


def informant_import_apply(*, study: Study, actor: User, preview: ImportPreview) -> list[Informant]:
    """Create one informant per row of a valid preview, all in one transaction, or none.

    Raises ValidationError if the preview has any error, or if a row fails on
    creation; then nothing is written.
    """
    if not preview.is_valid:
        raise ValidationError(_("The file has errors; nothing was imported."))
    with transaction.atomic():
        informants = []
        for row in preview.rows:
            fields = {k: v for k, v in row.fields.items() if v is not None and v != ""}
            fields.setdefault("code", row.fields["code"])
            try:
                informants.append(informant_create(study=study, actor=actor, attributes=row.attributes, **fields))
            except ValidationError as error:
                raise ValidationError(
                    _("Line %(line)d: %(errors)s Nothing was imported.")
                    % {"line": row.line, "errors": " ".join(error.messages)}
                ) from error
        audit_record(
            study=study,
            actor=actor,
            action="informant.imported",
            label=_("CSV import"),
            count=len(informants),
            codes=[informant.code for informant in informants],
        )
    return informants
