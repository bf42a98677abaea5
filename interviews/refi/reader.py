"""A REFI-QDA project or codebook as plain data: what an import would add, checked, nothing written.

Offsets in ``PlainTextSelection`` are Unicode code points from 0, end
exclusive: exactly Python string indices into the source text as the file
holds it. Our sources are normalised (NFC, ``\\n`` line ends); when a source
needs it, the text is normalised piece by piece between selection boundaries
so every offset moves with the text it points at.

Codes nest as ``Code`` elements; ATLAS.ti also writes a hierarchy into names
(``Parent::child``), which becomes the same hierarchy here. A code is known by
its path (the names from the top), so two file codes with one path become one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree.ElementTree import Element

from django.utils.translation import gettext as _

from interviews.importers import normalise_text

from .archive import QdpxArchive, RefiFileError, local_name, open_qdpx, parse_xml

ATLAS_SEPARATOR = "::"
NAME_MAX = 200
TITLE_MAX = 200
RGB = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
# Our own exports write the excerpt flags as the last line of the selection's note, so they come back.
FLAGS_PREFIX = "Flags: "
FLAG_KEYS = {
    "deviant finding": "is_deviant",
    "counter-finding": "is_counter_finding",
    "identifying details": "has_identifying_details",
}
CHOICES_PREFIX = "Choices: "
CHOICE_SEPARATOR = " | "


@dataclass
class ParsedCode:
    path: tuple[str, ...]
    colour: str = ""
    description: str = ""
    is_codable: bool = True
    note_guids: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path[-1]


@dataclass
class ParsedSelection:
    guid: str
    start: int
    end: int
    description: str = ""
    code_paths: list[tuple[str, ...]] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)


@dataclass
class ParsedSource:
    guid: str
    name: str
    text: str
    description: str = ""
    selections: list[ParsedSelection] = field(default_factory=list)
    note_guids: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # variable name → value


@dataclass
class ParsedVariable:
    guid: str
    name: str
    kind: str  # typeOfVariable: Text, Boolean, Integer, Float, Date, DateTime
    description: str = ""

    @property
    def choices(self) -> list[str]:
        if self.description.startswith(CHOICES_PREFIX):
            return [c for c in self.description[len(CHOICES_PREFIX) :].split(CHOICE_SEPARATOR) if c]
        return []


@dataclass
class ParsedCase:
    guid: str
    name: str
    description: str = ""
    values: dict[str, str] = field(default_factory=dict)  # variable name → value
    selection_guids: list[str] = field(default_factory=list)


@dataclass
class ParsedNote:
    guid: str
    name: str
    text: str


@dataclass
class ParsedProject:
    name: str = ""
    origin: str = ""
    codes: dict[tuple[str, ...], ParsedCode] = field(default_factory=dict)  # in file order, parents first
    variables: dict[str, ParsedVariable] = field(default_factory=dict)  # by guid
    cases: list[ParsedCase] = field(default_factory=list)
    sources: list[ParsedSource] = field(default_factory=list)
    notes: dict[str, ParsedNote] = field(default_factory=dict)  # by guid
    project_note_guids: list[str] = field(default_factory=list)
    users: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def selection_count(self) -> int:
        return sum(len(source.selections) for source in self.sources)

    @property
    def coding_count(self) -> int:
        return sum(len(selection.code_paths) for source in self.sources for selection in source.selections)


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local_name(child) == name)


def _child_text(element: Element, name: str) -> str:
    for child in _children(element, name):
        return (child.text or "").strip() if name != "PlainTextContent" else (child.text or "")
    return ""


def _refs(element: Element, name: str) -> list[str]:
    return [ref.get("targetGUID", "").strip("{}").lower() for ref in _children(element, name)]


def _guid(element: Element) -> str:
    return element.get("guid", "").strip("{}").lower()


def _colour(value: str | None) -> str:
    if not value or not RGB.match(value.strip()):
        return ""
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def _name(element: Element, attribute: str = "name") -> str:
    """A name from the file, NFC-normalised and stripped, as every text the workbench stores."""
    return unicodedata.normalize("NFC", element.get(attribute) or "").strip()


def _split_name(name: str) -> list[str]:
    parts = [part.strip() for part in name.split(ATLAS_SEPARATOR)]
    return [part for part in parts if part] or [name.strip() or _("Unnamed code")]


# Codes ----------------------------------------------------------------------------------------------------------------


def _read_codes(codes_element: Element, project: ParsedProject, guid_paths: dict[str, tuple[str, ...]]) -> None:
    def visit(element: Element, parent: tuple[str, ...]) -> None:
        names = _split_name(_name(element))
        path = parent
        for name in names[:-1]:
            path = (*path, name[:NAME_MAX])
            project.codes.setdefault(path, ParsedCode(path=path, is_codable=False))
        path = (*path, names[-1][:NAME_MAX])
        if any(len(name) > NAME_MAX for name in names):
            project.warnings.append(
                _("The code name “%(name)s” is longer than %(n)d characters and was shortened.")
                % {"name": names[-1][:60], "n": NAME_MAX}
            )
        code = project.codes.get(path)
        if code is None:
            code = project.codes[path] = ParsedCode(path=path)
        code.colour = code.colour or _colour(element.get("color"))
        code.description = code.description or _child_text(element, "Description")
        code.is_codable = code.is_codable or element.get("isCodable", "true").strip().lower() in ("true", "1")
        code.note_guids += _refs(element, "NoteRef")
        guid = _guid(element)
        if guid:
            guid_paths[guid] = path
        for child in _children(element, "Code"):
            visit(child, path)

    for element in _children(codes_element, "Code"):
        visit(element, ())


# Text and offsets -----------------------------------------------------------------------------------------------------


def normalise_with_offsets(text: str, boundaries: set[int]) -> tuple[str, dict[int, int]]:
    """The normalised text and where each boundary offset lands in it.

    The text is cut at every boundary and each piece normalised alone, so an
    offset keeps pointing at the same words. A boundary that splits a CR LF
    pair or a character and its combining accent still maps, to the place
    between the two pieces.
    """
    if normalise_text(text) == text:
        return text, {offset: offset for offset in boundaries}
    cuts = sorted({0, len(text), *(b for b in boundaries if 0 <= b <= len(text))})
    pieces: list[str] = []
    mapping: dict[int, int] = {0: 0}
    length = 0
    for start, end in zip(cuts, cuts[1:], strict=False):
        piece = normalise_text(text[start:end])
        pieces.append(piece)
        length += len(piece)
        mapping[end] = length
    return "".join(pieces), mapping


def _decode(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RefiFileError(
            _("%(what)s is not UTF-8 text, as REFI-QDA requires for plain-text sources.") % {"what": what}
        ) from None
    return text


def _source_text(element: Element, archive: QdpxArchive | None, budget: list[int], name: str) -> str | None:
    path = element.get("plainTextPath", "")
    if path:
        scheme, _sep, rest = path.partition("://")
        if scheme.lower() != "internal":
            return None
        if rest.lower().startswith("sources/"):
            rest = rest[len("sources/") :]
        if "/" in rest.replace("\\", "/") or rest in ("", ".", ".."):
            raise RefiFileError(
                _("The source “%(name)s” points at “%(path)s”, outside the archive's sources folder. It was refused.")
                % {"name": name, "path": path[:120]}
            )
        data = archive.read_source(rest, budget=budget) if archive is not None else None
        if data is None:
            raise RefiFileError(
                _("The source “%(name)s” refers to sources/%(file)s, which the archive does not hold.")
                % {"name": name, "file": rest}
            )
        return _decode(data, f"sources/{rest}")
    for _content in _children(element, "PlainTextContent"):
        return _child_text(element, "PlainTextContent")
    return None


def _read_text_source(
    element: Element,
    project: ParsedProject,
    archive: QdpxArchive | None,
    budget: list[int],
    guid_paths: dict[str, tuple[str, ...]],
    label: str = "",
) -> ParsedSource | None:
    name = (_name(element) or label or _("Untitled source"))[:TITLE_MAX]
    raw = _source_text(element, archive, budget, name)
    if raw is None:
        project.skipped.append(
            _("The text source “%(name)s” has no text inside the project (an external file); it was skipped.")
            % {"name": name}
        )
        return None
    selections = list(_children(element, "PlainTextSelection"))
    whole_codings = list(_children(element, "Coding"))
    boundaries: set[int] = {0, len(raw)}
    parsed: list[tuple[Element, int, int]] = []
    for selection in selections:
        try:
            start, end = int(selection.get("startPosition", "")), int(selection.get("endPosition", ""))
        except ValueError:
            raise RefiFileError(
                _("A selection in “%(name)s” has no valid start or end position.") % {"name": name}
            ) from None
        if not 0 <= start < end:
            raise RefiFileError(
                _(
                    "A selection in “%(name)s” runs from %(start)d to %(end)d: it must start at 0 or later and end after it starts."
                )
                % {"name": name, "start": start, "end": end}
            )
        if end > len(raw):
            raise RefiFileError(
                _(
                    "A selection in “%(name)s” ends at character %(end)d, beyond the end of its text (%(length)d "
                    "characters). The file is damaged or was written with other offsets; nothing was imported."
                )
                % {"name": name, "end": end, "length": len(raw)}
            )
        boundaries.update((start, end))
        parsed.append((selection, start, end))
    text, mapping = normalise_with_offsets(raw, boundaries)
    if not text.strip():
        project.skipped.append(_("The source “%(name)s” has no text; it was skipped.") % {"name": name})
        return None
    source = ParsedSource(
        guid=_guid(element),
        name=name,
        text=text,
        description=_child_text(element, "Description"),
        note_guids=_refs(element, "NoteRef"),
    )
    for selection, start, end in parsed:
        new_start, new_end = mapping[start], mapping[end]
        if new_end <= new_start:
            project.skipped.append(
                _("A selection in “%(name)s” covers only characters removed by normalisation; it was skipped.")
                % {"name": name}
            )
            continue
        item = ParsedSelection(
            guid=_guid(selection),
            start=new_start,
            end=new_end,
            description=_child_text(selection, "Description"),
            note_guids=_refs(selection, "NoteRef"),
        )
        item.code_paths = _coded_paths(selection, guid_paths, project, name)
        source.selections.append(item)
    if whole_codings:
        whole = ParsedSelection(guid="", start=0, end=len(text))
        whole.code_paths = _coded_paths(element, guid_paths, project, name)
        source.selections.append(whole)
    return source


def _coded_paths(
    element: Element, guid_paths: dict[str, tuple[str, ...]], project: ParsedProject, source_name: str
) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for coding in _children(element, "Coding"):
        for target in _refs(coding, "CodeRef"):
            path = guid_paths.get(target)
            if path is None:
                project.skipped.append(
                    _("A coding in “%(name)s” refers to a code the file does not define; it was skipped.")
                    % {"name": source_name}
                )
            elif path not in paths:
                paths.append(path)
    return paths


# Variables, cases, notes ----------------------------------------------------------------------------------------------


def _value_of(element: Element) -> str:
    for kind in ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue"):
        for child in _children(element, kind):
            return (child.text or "").strip()
    return ""


def _values(element: Element, variables: dict[str, ParsedVariable]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in _children(element, "VariableValue"):
        refs = _refs(item, "VariableRef")
        variable = variables.get(refs[0]) if refs else None
        if variable is not None:
            values[variable.name] = _value_of(item)
    return values


def _read_notes(notes_element: Element, project: ParsedProject) -> None:
    for element in _children(notes_element, "Note"):
        text = _child_text(element, "PlainTextContent")
        if not text and element.get("plainTextPath"):
            project.skipped.append(
                _("The note “%(name)s” keeps its text in a separate file; it was skipped.")
                % {"name": element.get("name", "")[:80]}
            )
            continue
        guid = _guid(element)
        project.notes[guid] = ParsedNote(
            guid=guid, name=(_name(element) or _("Note"))[:TITLE_MAX], text=normalise_text(text)
        )


SKIPPED_SOURCES = {
    "PictureSource": _("picture"),
    "AudioSource": _("audio"),
    "VideoSource": _("video"),
}


def read_project(stream: IO[bytes]) -> ParsedProject:
    """Read and check a ``.qdpx`` upload; raises :class:`RefiFileError` with the reason it cannot be imported.

    project.qde is read twice as a stream, never whole: first everything but the sources (codes, variables,
    cases, notes), then the sources one by one, each dropped once read, so the codes and variables they refer
    to are known wherever the file puts them.
    """
    archive, budget = open_qdpx(stream)
    project: ParsedProject | None = None
    guid_paths: dict[str, tuple[str, ...]] = {}
    cases: list[Element] = []
    has_sources = sources_open = False
    depth = 0
    for event, element in archive.iterparse_project(budget=budget):
        if event == "start":
            if depth == 0:
                if local_name(element) != "Project":
                    raise RefiFileError(_("project.qde is not a REFI-QDA project: its root element is not <Project>."))
                project = ParsedProject(name=_name(element)[:300], origin=_name(element, "origin")[:200])
            depth += 1
            if depth == 2:
                sources_open = local_name(element) == "Sources"
            continue
        depth -= 1
        if depth == 2 and sources_open:
            element.clear()  # a source: read in the second pass
            has_sources = True
            continue
        if depth != 1:
            continue
        assert project is not None
        kind = local_name(element)
        if kind == "Sources":
            element.clear()
        elif kind == "Cases":
            cases.append(element)  # read once every variable is known
        else:
            _read_section(element, project, guid_paths)
            element.clear()
    assert project is not None
    for section in cases:
        _read_cases(section, project)
    if has_sources:
        _read_sources(archive, project, budget, guid_paths)
    if archive.other_names:
        project.skipped.append(
            _("Files in the archive that are not part of a REFI-QDA project were ignored: %(names)s.")
            % {"names": ", ".join(sorted(archive.other_names)[:10])}
        )
    return project


def _read_section(section: Element, project: ParsedProject, guid_paths: dict[str, tuple[str, ...]]) -> None:
    kind = local_name(section)
    if kind == "Users":
        project.users += sum(1 for _user in _children(section, "User"))
    elif kind == "CodeBook":
        for codes in _children(section, "Codes"):
            _read_codes(codes, project, guid_paths)
    elif kind == "Variables":
        for element in _children(section, "Variable"):
            variable = ParsedVariable(
                guid=_guid(element),
                name=_name(element)[:100],
                kind=(element.get("typeOfVariable") or "Text").strip(),
                description=_child_text(element, "Description"),
            )
            if variable.name:
                project.variables[variable.guid] = variable
    elif kind == "Notes":
        _read_notes(section, project)
    elif kind in ("Links", "Sets", "Graphs"):
        count = len(list(section))
        if count:
            project.skipped.append(
                _("%(n)d %(what)s: the workbench has no place for them; skipped.") % {"n": count, "what": kind}
            )
    elif kind == "NoteRef":
        project.project_note_guids += [section.get("targetGUID", "").strip("{}").lower()]


def _read_cases(section: Element, project: ParsedProject) -> None:
    for element in _children(section, "Case"):
        name = _name(element)
        if not name:
            project.skipped.append(_("A case without a name was skipped."))
            continue
        project.cases.append(
            ParsedCase(
                guid=_guid(element),
                name=name,
                description=_child_text(element, "Description"),
                values=_values(element, project.variables),
                selection_guids=_refs(element, "SelectionRef"),
            )
        )


def _read_sources(
    archive: QdpxArchive, project: ParsedProject, budget: list[int], guid_paths: dict[str, tuple[str, ...]]
) -> None:
    """The second reading: each child of a top-level ``Sources`` read, then dropped."""
    depth = 0
    in_sources = False
    for event, element in archive.iterparse_project(budget=None):
        if event == "start":
            depth += 1
            if depth == 2:
                in_sources = local_name(element) == "Sources"
            continue
        depth -= 1
        if depth == 2 and in_sources:
            _read_source_element(element, project, archive, budget, guid_paths)
            element.clear()
        elif depth == 1:
            element.clear()


def _read_source_element(
    element: Element,
    project: ParsedProject,
    archive: QdpxArchive,
    budget: list[int],
    guid_paths: dict[str, tuple[str, ...]],
) -> None:
    kind = local_name(element)
    name = _name(element)
    source: ParsedSource | None = None
    if kind == "TextSource":
        source = _read_text_source(element, project, archive, budget, guid_paths)
    elif kind == "PDFSource":
        representation = next(_children(element, "Representation"), None)
        if representation is not None:
            source = _read_text_source(representation, project, archive, budget, guid_paths, label=name)
            if source is not None:
                source.name = name[:TITLE_MAX] or source.name
                skipped = sum(1 for _selection in _children(element, "PDFSelection"))
                if skipped:
                    project.skipped.append(
                        _(
                            "%(n)d area selections on the pages of the PDF “%(name)s” were skipped; its text was imported."
                        )
                        % {"n": skipped, "name": name}
                    )
        else:
            project.skipped.append(_("The PDF “%(name)s” has no text representation; it was skipped.") % {"name": name})
    elif kind in SKIPPED_SOURCES:
        selections = sum(1 for child in element if local_name(child).endswith("Selection"))
        project.skipped.append(
            _("The %(kind)s source “%(name)s” (%(n)d selections) was skipped: the workbench codes text only.")
            % {"kind": SKIPPED_SOURCES[kind], "name": name, "n": selections}
        )
    if source is not None:
        source.variables = _values(element, project.variables)
        project.sources.append(source)


def read_codebook(data: bytes) -> ParsedProject:
    """Read a ``.qdc`` codebook (or the codebook inside a project's XML) as a project with codes only."""
    root = parse_xml(data, what=_("The codebook file"))
    name = local_name(root)
    if name == "Project":
        root = next(_children(root, "CodeBook"), None)
        if root is None:
            raise RefiFileError(_("The file has no codebook."))
        name = "CodeBook"
    if name != "CodeBook":
        raise RefiFileError(_("The file is not a REFI-QDA codebook (.qdc): its root element is not <CodeBook>."))
    project = ParsedProject()
    guid_paths: dict[str, tuple[str, ...]] = {}
    for codes in _children(root, "Codes"):
        _read_codes(codes, project, guid_paths)
    if not project.codes:
        raise RefiFileError(_("The codebook has no codes."))
    return project


def flags_from_note(text: str) -> tuple[str, dict[str, bool]]:
    """Split our own ``Flags: …`` last line off a selection note: (the memo, the flags it names)."""
    head, _sep, last = text.rstrip().rpartition("\n")
    candidate = last if _sep else text.rstrip()
    if not candidate.startswith(FLAGS_PREFIX):
        return text, {}
    names = [name.strip().lower() for name in candidate[len(FLAGS_PREFIX) :].split(";")]
    flags = {FLAG_KEYS[name]: True for name in names if name in FLAG_KEYS}
    if not flags:
        return text, {}
    return (head.rstrip() if _sep else ""), flags
