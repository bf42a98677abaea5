"""Reading a source's text from an upload or a paste, and finding its speaker turns.

Nothing here writes to the database. :func:`read_upload` and :func:`read_pasted`
return an :class:`ImportedText` or raise a ``ValidationError`` whose message a
researcher can act on.

The file's type is decided by its content (magic bytes, zip members), never by
its name. Plain text is decoded strictly: UTF-8 first (with or without a BOM),
then the single-byte encodings a Norwegian Windows or Mac machine writes, ranked
by how plausible the decoded text is for Norwegian. A decoding that still shows
the traces of a wrong guess ("Ã¸" for "ø", "�") is refused rather than stored,
so a transcript is never silently garbled; the researcher may then name the
encoding in the form.

Normalisation (:func:`normalise_text`) is done once, here, and is deliberately
small: line ends become ``\\n``, control characters other than ``\\n`` and
``\\t`` are removed, and the text is put in Unicode NFC. Everything else —
trailing spaces, blank lines, tabs — is kept as written, because the text is
the fixed reference for every excerpt offset.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# What the researcher may choose in the form; "auto" detects.
ENCODING_CHOICES = [
    ("auto", gettext_lazy("Detect automatically")),
    ("utf-8", gettext_lazy("UTF-8")),
    ("cp1252", gettext_lazy("Windows-1252 (Western European, Windows)")),
    ("iso-8859-1", gettext_lazy("ISO-8859-1 (Latin-1)")),
    ("utf-16", gettext_lazy("UTF-16")),
]

# Formats, as stored in ``Source.imported_from``.
PASTE, TXT, DOCX, ODT, PDF = "paste", "txt", "docx", "odt", "pdf"


@dataclass(frozen=True)
class ImportedText:
    text: str
    format: str
    encoding: str = ""
    filename: str = ""

    @property
    def length(self) -> int:
        return len(self.text)


def max_bytes() -> int:
    return getattr(settings, "SOURCE_MAX_BYTES", DEFAULT_MAX_BYTES)


# Normalisation -------------------------------------------------------------------------------------------------------

# Line and page separators become a plain line end; other controls (NUL, C0 except \t and \n, DEL, C1) and the
# zero-width BOM are removed.
_LINE_SEPARATOR_CHARS = "\r\x0b\x0c\x85\u2028\u2029"
_SINGLE_LINE_SEPARATORS = re.compile(f"[{_LINE_SEPARATOR_CHARS}]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff]")


def normalise_text(text: str) -> str:
    """The one normalisation every source text gets: ``\\n`` line ends, no stray controls, Unicode NFC."""
    # "\r\n" or any one separator becomes "\n": the pairs first, then each separator left ("\r\r\n" is two line
    # ends). A substring test is some hundred times faster than a regular expression's scan of a long text, and
    # most texts have only "\n" or "\r\n".
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if any(separator in text for separator in _LINE_SEPARATOR_CHARS):
        text = _SINGLE_LINE_SEPARATORS.sub("\n", text)
    text = _CONTROLS.sub("", text)
    return unicodedata.normalize("NFC", text)


# UTF-8 read as Windows-1252 or Latin-1: "Ã¸" (ø), "Ã¥" (å), "Ã¦" (æ), "â€“" (–), "Â " (no-break space).
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE = re.compile(f"[ÂÃ][\u0080-\u00bf{_CP1252_HIGH}]|â€[\u0080-\u00bf{_CP1252_HIGH}]?")


def garbled_sample(text: str) -> str | None:
    """The first trace of a wrong decoding in ``text`` ("Ã¸", "�"), or None when it looks clean."""
    # Every trace starts with "Â", "Ã" or "â€": looked for first, as a scan by the expression is slow.
    match = _MOJIBAKE.search(text) if "Ã" in text or "Â" in text or "â€" in text else None
    if match:
        return match.group()
    if "\ufffd" in text:
        return "\ufffd"
    return None


def _check_text(text: str, *, filename: str = "") -> str:
    """Normalise ``text`` and refuse it when it is empty or garbled."""
    text = normalise_text(text)
    if not text.strip():
        if filename:
            raise ValidationError(_("“%(name)s” contains no text.") % {"name": filename}, code="empty")
        raise ValidationError(_("There is no text to import."), code="empty")
    sample = garbled_sample(text)
    if sample == "\ufffd":
        raise ValidationError(
            _(
                "The text contains replacement characters (�) where letters could not be read. "
                "Save the file again as UTF-8 or .docx and upload that."
            ),
            code="garbled",
        )
    if sample:
        raise ValidationError(
            _(
                "The text looks garbled: it contains “%(sample)s” where a letter such as æ, ø or å was probably "
                "meant. Choose another encoding (try UTF-8), or repair the file before importing it."
            )
            % {"sample": sample},
            code="garbled",
        )
    return text


# Decoding plain text -------------------------------------------------------------------------------------------------

_NORDIC = frozenset("æøåÆØÅ")
_EXPECTED = frozenset("éèêëáàâäóòôöúùûüíìîçñÉÈÊÁÀÄÓÒÔÖÚÜÍÇÑß«»–—‘’‚“”„…•€§°½¼¾·×\u00a0")
# Tried in this order; on equal plausibility the earlier one wins. Windows-1252 is a superset of
# Latin-1's printable characters, so it goes first.
_SINGLE_BYTE = ["cp1252", "iso-8859-1", "iso-8859-15", "mac_roman", "cp865", "cp850"]
_ENCODING_NAMES = {"latin_1": "iso-8859-1", "iso8859_15": "iso-8859-15"}


def _plausibility(text: str) -> int:
    """How much ``text`` looks like Norwegian (or English) decoded correctly; higher is better."""
    score = 0
    for char, count in Counter(char for char in text if ord(char) > 0x7E).items():
        if char in _NORDIC:
            score += 3 * count
        elif char in _EXPECTED:
            score += count
        elif unicodedata.category(char).startswith("L"):
            score -= 4 * count  # ř, ĺ, Ї: letters that a Norwegian text does not use
        else:
            score -= 3 * count  # controls, box drawing, ¿ ¤ ¯ …
    return score - 10 * len(_MOJIBAKE.findall(text))


def _utf16_byte_order(data: bytes) -> str | None:
    """ "utf-16-le" / "utf-16-be" when NUL bytes sit in every other position (UTF-16 without a BOM)."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / max(1, len(sample[0::2]))
    odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _decode_strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _guesses_of_charset_normalizer(data: bytes) -> list[str]:
    """charset-normalizer's ranking among the encodings a Norwegian text comes in.

    Left free it reads short Latin-1 text as Central European ("Bodř"), so it
    only orders the Western candidates here, and each is still scored by
    :func:`_plausibility`.
    """
    from charset_normalizer import from_bytes

    return [match.encoding for match in from_bytes(data[:65536], cp_isolation=_SINGLE_BYTE)]


def decode_text(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read with (not yet normalised).

    With an explicit ``encoding`` the bytes must decode strictly in it. With
    ``auto``: a BOM decides; else strict UTF-8; else the most plausible of the
    common single-byte encodings and charset-normalizer's guesses.
    """
    if encoding != "auto":
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = _utf16_byte_order(data) or "utf-16-le"
        python_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        text = _decode_strict(data, python_encoding)
        if text is None:
            raise ValidationError(
                _("The file is not valid %(encoding)s. Choose another encoding, or “Detect automatically”.")
                % {"encoding": encoding.upper()},
                code="encoding",
            )
        return text, encoding
    if data.startswith(b"\xef\xbb\xbf"):
        text = _decode_strict(data, "utf-8-sig")
        if text is not None:
            return text, "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode_strict(data, "utf-16")
        if text is not None:
            return text, "utf-16"
    byte_order = _utf16_byte_order(data)
    if byte_order:
        text = _decode_strict(data, byte_order)
        if text is not None:
            return text, byte_order
    text = _decode_strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    candidates: dict[str, str] = {}
    for name in _guesses_of_charset_normalizer(data) + _SINGLE_BYTE:
        decoded = _decode_strict(data, name)
        if decoded is not None and decoded not in candidates.values():
            candidates[name] = decoded
    if not candidates:
        raise ValidationError(
            _("The file's encoding could not be recognised. Save it as UTF-8 and upload it again."), code="encoding"
        )
    # Python's max keeps the first of equals: Windows-1252 before Latin-1 (same letters, more punctuation).
    order = {name: index for index, name in enumerate(_SINGLE_BYTE)}
    scores = {name: _plausibility(decoded) for name, decoded in candidates.items()}
    best = max(sorted(candidates, key=lambda name: order.get(name, 99)), key=scores.__getitem__)
    if scores[best] < 0:
        # Every reading shows characters a Norwegian text does not have: ask rather than guess.
        raise ValidationError(
            _(
                "The file's encoding could not be recognised with confidence (it may mix several encodings). "
                "Choose the encoding in the form, or save the file as UTF-8 and upload it again."
            ),
            code="encoding",
        )
    return candidates[best], _ENCODING_NAMES.get(best, best)


# Telling file types apart by content ---------------------------------------------------------------------------------

_NOT_SUPPORTED = {
    b"\x89PNG": gettext_lazy("a PNG image"),
    b"\xff\xd8\xff": gettext_lazy("a JPEG image"),
    b"GIF8": gettext_lazy("a GIF image"),
    b"\xd0\xcf\x11\xe0": gettext_lazy("an old Word (.doc) or Excel (.xls) file — save it as .docx"),
    b"{\\rtf": gettext_lazy("an RTF file — save it as .docx or .txt"),
    b"ID3": gettext_lazy("an audio recording"),
    b"OggS": gettext_lazy("an audio recording"),
    b"fLaC": gettext_lazy("an audio recording"),
    b"RIFF": gettext_lazy("an audio or video recording"),
    b"%!PS": gettext_lazy("a PostScript file"),
    b"\x1f\x8b": gettext_lazy("a compressed archive"),
    b"7z\xbc\xaf": gettext_lazy("a compressed archive"),
    b"Rar!": gettext_lazy("a compressed archive"),
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _unsupported(filename: str, what: Any = None) -> ValidationError:
    if what:
        message = _("“%(name)s” is %(what)s, not a text document. Upload .txt, .docx, .odt or a PDF with text.")
    else:
        message = _("“%(name)s” is not a file type that can be imported. Upload .txt, .docx, .odt or a PDF with text.")
    return ValidationError(message % {"name": filename or _("The file"), "what": what}, code="unsupported")


# The C0 controls a text file does not hold (all but tab, line ends, form feed, SUB and ESC).
_CONTROL_BYTES = bytes(byte for byte in range(0x20) if byte not in b"\t\n\r\x0b\x0c\x1a\x1b")


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if _utf16_byte_order(sample) or sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) / 100


def sniff_format(data: bytes, filename: str = "") -> str:
    """TXT, DOCX, ODT or PDF, decided by the bytes; a ValidationError for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
            raise _unsupported(filename) from None
        if "word/document.xml" in names:
            return DOCX
        if "content.xml" in names and mimetype == ODT_MIMETYPE:
            return ODT
        raise _unsupported(filename, _("a zip archive (or a spreadsheet or presentation)"))
    for signature, what in _NOT_SUPPORTED.items():
        if data.startswith(signature):
            raise _unsupported(filename, what)
    if data[4:8] == b"ftyp":
        raise _unsupported(filename, _("an audio or video recording"))
    if _looks_binary(data):
        raise _unsupported(filename)
    return TXT


# The readers ---------------------------------------------------------------------------------------------------------


def _unreadable(filename: str, kind: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” looks like a %(kind)s file but could not be read. Open it and save it again, or paste the text.")
        % {"name": filename or _("The file"), "kind": kind},
        code="unreadable",
    )


def _check_zip_size(data: bytes, filename: str, kind: str) -> None:
    """Refuse a zip whose unpacked size is out of all proportion (a zip bomb)."""
    limit = max(50 * 1024 * 1024, 20 * max_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > limit:
            raise _unreadable(filename, kind)


def read_docx(data: bytes, filename: str = "") -> str:
    """Paragraphs as lines (line breaks inside a paragraph kept), tables as tab-separated rows, in document order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    _check_zip_size(data, filename, "Word")
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_docx_table_rows(block))
            else:
                lines.append(block.text)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, AttributeError, IndexError) as error:
        raise _unreadable(filename, "Word") from error
    return "\n".join(lines)


def _docx_table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            # A merged cell is repeated for every grid column it spans: keep it once.
            if any(cell._tc is other for other in seen):
                continue
            seen.append(cell._tc)
            cells.append(
                " ".join(paragraph.text for paragraph in cell.paragraphs).replace("\t", " ").replace("\n", " ")
            )
        rows.append("\t".join(cells))
    return rows


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _odf(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


_P, _H = _odf(_ODF_TEXT, "p"), _odf(_ODF_TEXT, "h")
_SPACE, _TAB, _LINE_BREAK = _odf(_ODF_TEXT, "s"), _odf(_ODF_TEXT, "tab"), _odf(_ODF_TEXT, "line-break")
_TABLE, _ROW, _CELL = _odf(_ODF_TABLE, "table"), _odf(_ODF_TABLE, "table-row"), _odf(_ODF_TABLE, "table-cell")
# Not part of the running text: footnotes, comments, deleted text kept for change tracking, declarations.
_ODF_SKIPPED = {
    _odf(_ODF_TEXT, "note"),
    _odf(_ODF_OFFICE, "annotation"),
    _odf(_ODF_OFFICE, "annotation-end"),
    _odf(_ODF_TEXT, "tracked-changes"),
    _odf(_ODF_TEXT, "sequence-decls"),
    _odf(_ODF_TEXT, "variable-decls"),
    _odf(_ODF_TEXT, "user-field-decls"),
    _odf(_ODF_OFFICE, "forms"),
}
_XML_WHITESPACE = re.compile(r"[ \t\r\n]+")


def _odt_inline(element: Any) -> str:
    # In ODF, whitespace in the XML collapses to one space; real spaces, tabs and breaks are elements.
    parts = [_XML_WHITESPACE.sub(" ", element.text or "")]
    for child in element:
        if child.tag == _SPACE:
            try:
                count = int(child.get(_odf(_ODF_TEXT, "c"), "1"))
            except ValueError:
                count = 1
            parts.append(" " * max(1, min(count, 1000)))
        elif child.tag == _TAB:
            parts.append("\t")
        elif child.tag == _LINE_BREAK:
            parts.append("\n")
        elif child.tag not in _ODF_SKIPPED:
            parts.append(_odt_inline(child))
        parts.append(_XML_WHITESPACE.sub(" ", child.tail or ""))
    return "".join(parts)


def _odt_blocks(element: Any, lines: list[str]) -> None:
    for child in element:
        if child.tag in (_P, _H):
            lines.append(_odt_inline(child))
        elif child.tag == _TABLE:
            for row in child.iter(_ROW):
                cells = [
                    " ".join(_odt_inline(p) for p in cell.iter() if p.tag in (_P, _H))
                    .replace("\t", " ")
                    .replace("\n", " ")
                    for cell in row
                    if cell.tag == _CELL
                ]
                lines.append("\t".join(cells))
        elif child.tag not in _ODF_SKIPPED:
            _odt_blocks(child, lines)  # sections, lists, list items, frames


def read_odt(data: bytes, filename: str = "") -> str:
    """``text:p`` and ``text:h`` as lines (``text:s``, ``text:tab``, ``text:line-break`` honoured), tables as rows."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    _check_zip_size(data, filename, "OpenDocument")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            root = fromstring(archive.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, OSError, ParseError, DefusedXmlException) as error:
        raise _unreadable(filename, "OpenDocument") from error
    body = root.find(f"{_odf(_ODF_OFFICE, 'body')}/{_odf(_ODF_OFFICE, 'text')}")
    if body is None:
        raise _unsupported(filename, _("an OpenDocument file that is not a text document"))
    lines: list[str] = []
    _odt_blocks(body, lines)
    return "\n".join(lines)


def read_pdf(data: bytes, filename: str = "") -> str:
    """The text layer of every page, pages separated by a line end. A PDF without text is refused."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                _("“%(name)s” is protected by a password. Save an unprotected copy and upload that.")
                % {"name": filename or _("The PDF")},
                code="unreadable",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, IndexError, AttributeError, RecursionError) as error:
        raise _unreadable(filename, "PDF") from error
    text = "\n".join(page.rstrip("\n") for page in pages)
    if not text.strip():
        raise ValidationError(
            _(
                "“%(name)s” has no text layer; is it scanned? Run text recognition (OCR) on it, "
                "or upload the transcript as .docx or .txt."
            )
            % {"name": filename or _("The PDF")},
            code="no_text_layer",
        )
    return text


def _too_large(size: int) -> ValidationError:
    return ValidationError(
        _("The file is %(size)s; the limit is %(limit)s. Split the text into several sources.")
        % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
        code="too_large",
    )


def read_bytes(data: bytes, *, filename: str = "", encoding: str = "auto") -> ImportedText:
    """The normalised text of a file's bytes; a ValidationError says why it cannot be imported."""
    if len(data) > max_bytes():
        raise _too_large(len(data))
    if not data:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": filename or _("The file")}, code="empty")
    kind = sniff_format(data, filename)
    detected = ""
    if kind == PDF:
        text = read_pdf(data, filename)
    elif kind == DOCX:
        text = read_docx(data, filename)
    elif kind == ODT:
        text = read_odt(data, filename)
    else:
        text, detected = decode_text(data, encoding)
    return ImportedText(text=_check_text(text, filename=filename), format=kind, encoding=detected, filename=filename)


def read_upload(upload: Any, *, encoding: str = "auto") -> ImportedText:
    """Read an uploaded file (checked by size first, then by content)."""
    filename = (getattr(upload, "name", "") or "")[:255]
    if upload.size is not None and upload.size > max_bytes():
        raise _too_large(upload.size)
    upload.seek(0)
    data = upload.read(max_bytes() + 1)
    upload.seek(0)
    return read_bytes(data, filename=filename, encoding=encoding)


def read_pasted(text: str) -> ImportedText:
    size = len(text.encode("utf-8"))
    if size > max_bytes():
        raise ValidationError(
            _("The text is %(size)s; the limit is %(limit)s. Split it into several sources.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())},
            code="too_large",
        )
    return ImportedText(text=_check_text(text), format=PASTE)


def check_edited_text(text: str) -> str:
    """A researcher's edited text, normalised and checked like an import (size, empty, garbled)."""
    return read_pasted(text).text


# Speaker turns -------------------------------------------------------------------------------------------------------

# Labels that stand for the person asking the questions.
MODERATOR_LABELS = frozenset(
    {"moderator", "mod", "intervjuer", "intervjuar", "interviewer", "i", "forsker", "researcher"}
)
LABEL_MAX_CHARS = 30

_TIMESTAMP = r"(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?[ \t]+)?"
_FIRST_WORD = r"[^\W\d_][\w.'’/\-]*"
_NEXT_WORD = r"\w[\w.'’/\-]*"
_LABEL_LINE = re.compile(
    rf"^[ \t]*{_TIMESTAMP}(?P<label>{_FIRST_WORD}(?:[ \t]{_NEXT_WORD}){{0,2}})"
    r"(?P<separator>[ \t]*:|[ \t]+[-–—])(?=[ \t]|$)[ \t]*",
    re.MULTILINE,
)


@dataclass(frozen=True)
class FoundTurn:
    label: str
    start: int
    label_end: int
    end: int


def _canonical(label: str) -> str:
    return " ".join(label.split())


def _is_speaker_label(label: str, separator: str, occurrences: int, informant_codes: frozenset[str]) -> bool:
    """Tell a speaker label from prose that happens to have a colon or a dash early in a line.

    Role words and informant codes always count, and so does a one-word code with a
    digit (``I3``, ``K2``, ``AG1``). Several words with a digit (``Informant 4``) count
    when they label at least two lines — once, it is more likely a heading
    ("Fokusgruppe 1 – Tromsø"). Words without a digit (``Kari:``) count only with a
    colon, capitalised, and on at least two lines — "Ja – det …" is speech.
    """
    key = label.casefold()
    words = label.split()
    if len(label) > LABEL_MAX_CHARS:
        return False
    if key in MODERATOR_LABELS or key in informant_codes:
        return True
    if any(char.isdigit() for char in label):
        return len(words) == 1 or occurrences >= 2
    if separator.strip() != ":":
        return False
    return all(word[0].isupper() for word in words) and occurrences >= 2


def find_speaker_turns(text: str, informant_codes: Iterable[str] = ()) -> list[FoundTurn]:
    """The speaker turns of ``text``: from a label's line start to the next label's line start (or the end).

    ``label_end`` is where the speech begins (after the separator and its spaces).
    Text before the first label belongs to no turn. Labels are grouped without
    regard to case or spacing; the first spelling is the one reported.
    """
    codes = frozenset(code.casefold() for code in informant_codes)
    matches = [
        (match, _canonical(match.group("label")), match.group("separator")) for match in _LABEL_LINE.finditer(text)
    ]
    occurrences = Counter(label.casefold() for _match, label, _separator in matches)
    spelling: dict[str, str] = {}
    accepted = []
    for match, label, separator in matches:
        key = label.casefold()
        if _is_speaker_label(label, separator, occurrences[key], codes):
            spelling.setdefault(key, label)
            accepted.append((match.start(), match.end(), spelling[key]))
    turns = []
    for index, (start, label_end, label) in enumerate(accepted):
        end = accepted[index + 1][0] if index + 1 < len(accepted) else len(text)
        turns.append(FoundTurn(label=label, start=start, label_end=label_end, end=end))
    return turns
