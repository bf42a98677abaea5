"""Opening an uploaded ``.qdpx`` or ``.qdc`` file without trusting it.

A project file is a zip archive holding ``project.qde`` (XML) and a
``sources/`` folder. Everything here is refused with a readable message,
before anything is written: a file that is not a zip, a zip without
``project.qde``, entry names that climb out of the archive (``../``, absolute
paths, drive letters), too many entries, too many bytes once unpacked (read
with a counting limit, because the sizes a zip declares can lie), and XML with
a DTD, entity declarations or external references (defusedxml).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_XML_BYTES = 64 * 1024 * 1024
PROJECT_FILE = "project.qde"
READ_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


class RefiFileError(ValueError):
    """The file cannot be imported at all; the message says why, for the person who uploaded it."""


@dataclass
class QdpxArchive:
    project_name: str
    # Entry name, lower-cased, without the leading "sources/" → the entry's real name in the zip.
    source_names: dict[str, str] = field(default_factory=dict)
    other_names: list[str] = field(default_factory=list)
    zip_file: zipfile.ZipFile | None = None

    def read_source(self, path: str, *, budget: list[int]) -> bytes | None:
        """The bytes of ``internal://NAME`` (``path`` is NAME), or None when the archive does not hold it."""
        name = self.source_names.get(path.lower())
        if name is None or self.zip_file is None:
            return None
        return _read_limited(self.zip_file, name, budget)

    def iterparse_project(self, *, budget: list[int] | None) -> Iterator[tuple[str, Element]]:
        """``start`` and ``end`` events of project.qde, read piece by piece (defusedxml: no DTD, no entities).

        Counts the bytes against ``budget`` when given (the first reading) and refuses XML past MAX_XML_BYTES.
        """
        assert self.zip_file is not None
        try:
            entry = self.zip_file.open(self.project_name)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zipfile.LargeZipFile) as error:
            raise RefiFileError(_("project.qde cannot be unpacked: %(error)s") % {"error": error}) from None
        with entry:
            reader = _CountingReader(entry, budget)
            try:
                yield from iterparse(
                    reader, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
                )
            except DefusedXmlException:
                raise RefiFileError(_dtd_message("project.qde")) from None
            except ParseError as error:
                raise RefiFileError(
                    _("%(what)s is not well-formed XML: %(error)s.") % {"what": "project.qde", "error": error}
                ) from None


class _CountingReader:
    """A zip entry read in chunks, refused when it unpacks past the archive's budget or MAX_XML_BYTES."""

    def __init__(self, entry: IO[bytes], budget: list[int] | None):
        self.entry, self.budget, self.total = entry, budget, 0

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self.entry.read(size if size and size > 0 else READ_CHUNK)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as error:
            raise RefiFileError(_("project.qde cannot be unpacked: %(error)s") % {"error": error}) from None
        self.total += len(chunk)
        if self.budget is not None:
            self.budget[0] -= len(chunk)
            if self.budget[0] < 0:
                raise RefiFileError(_zip_bomb_message())
        if self.total > MAX_XML_BYTES:
            raise RefiFileError(
                _("%(what)s is larger than %(mb)d MB.") % {"what": "project.qde", "mb": MAX_XML_BYTES // (1024 * 1024)}
            )
        return chunk


def _zip_bomb_message() -> str:
    return _("The archive unpacks to more than %(mb)d MB. It was refused as a possible zip bomb.") % {
        "mb": MAX_UNPACKED_BYTES // (1024 * 1024)
    }


def _dtd_message(what: str) -> str:
    return _(
        "%(what)s declares a DTD or entities. REFI-QDA files never need them, and they can be used to "
        "attack the server (“XML bombs”), so the file was refused."
    ) % {"what": what}


def _check_name(name: str) -> None:
    cleaned = name.replace("\\", "/")
    parts = cleaned.split("/")
    if cleaned.startswith("/") or _DRIVE.match(cleaned) or ".." in parts or "\x00" in cleaned:
        raise RefiFileError(
            _("The archive contains a file named “%(name)s”, which points outside the archive. It was refused.")
            % {"name": name[:120]}
        )


def _read_limited(archive: zipfile.ZipFile, name: str, budget: list[int]) -> bytes:
    """Read one entry, counting real bytes against ``budget[0]`` (what is left of the unpacked-size cap)."""
    out = io.BytesIO()
    with archive.open(name) as entry:
        while True:
            chunk = entry.read(READ_CHUNK)
            if not chunk:
                break
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise RefiFileError(_zip_bomb_message())
            out.write(chunk)
    return out.getvalue()


def open_qdpx(stream: IO[bytes]) -> tuple[QdpxArchive, list[int]]:
    """Open a project archive; returns it with the remaining unpacked-bytes budget (shared by later reads)."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        raise RefiFileError(_("The file is not a REFI-QDA project (.qdpx): it is not a zip archive.")) from None
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise RefiFileError(_("The archive holds more than %(n)d files. It was refused.") % {"n": MAX_ENTRIES})
    declared = 0
    project_name = None
    result = QdpxArchive(project_name="", zip_file=archive)
    for info in entries:
        _check_name(info.filename)
        declared += info.file_size
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/")
        lowered = name.lower()
        if lowered == PROJECT_FILE:
            project_name = info.filename
        elif lowered.startswith("sources/") and "/" not in lowered[len("sources/") :]:
            result.source_names[lowered[len("sources/") :]] = info.filename
        else:
            result.other_names.append(posixpath.basename(name) or name)
    if declared > MAX_UNPACKED_BYTES:
        raise RefiFileError(
            _("The archive unpacks to more than %(mb)d MB. It was refused as a possible zip bomb.")
            % {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )
    if project_name is None:
        raise RefiFileError(
            _(
                "The zip archive has no project.qde, so it is not a REFI-QDA project (.qdpx). Export the project again from your QDA program."
            )
        )
    result.project_name = project_name
    return result, [MAX_UNPACKED_BYTES]


def parse_xml(data: bytes, *, what: str) -> Element:
    """Parse ``data`` with defusedxml: no DTD, no entities, no external references."""
    if len(data) > MAX_XML_BYTES:
        raise RefiFileError(
            _("%(what)s is larger than %(mb)d MB.") % {"what": what, "mb": MAX_XML_BYTES // (1024 * 1024)}
        )
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise RefiFileError(_dtd_message(what)) from None
    except ParseError as error:
        raise RefiFileError(_("%(what)s is not well-formed XML: %(error)s.") % {"what": what, "error": error}) from None


def local_name(element: Element) -> str:
    """An element's tag without its namespace (``{urn:QDA-XML:project:1.0}Code`` → ``Code``)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rpartition("}")[2]


def namespace(element: Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""
