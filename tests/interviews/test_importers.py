"""Reading sources from real-world files: encodings, .docx, .odt, PDF, limits, normalisation, speaker labels."""

from __future__ import annotations

import base64
import io
import random
import re
import unicodedata
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from interviews import importers
from tests.cases.uploads import pdf_bytes, png_bytes

NORWEGIAN = "Bodø er en by der det er godt å være. Vi går på tur, også når det blåser. Ærlig talt: Øst og vest."


def refusal(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, cells in zip(grid.rows, table, strict=True):
            for cell, text in zip(row.cells, cells, strict=True):
                cell.text = text
        document.add_paragraph("Etter tabellen.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
  <office:body><office:text>
    <text:sequence-decls><text:sequence-decl text:display-outline-level="0" text:name="Table"/></text:sequence-decls>
    <text:h text:outline-level="1">Intervju med AG1</text:h>
    <text:p>AG1: Det er viktig å <text:span>være</text:span> med<text:s text:c="3"/>fra starten.<text:note text:note-class="footnote"><text:note-body><text:p>Fotnote som ikke er tale.</text:p></text:note-body></text:note></text:p>
    <text:p>I:<text:tab/>Hvordan gikk det i Bodø?<text:line-break/>Fortsett gjerne.</text:p>
    <text:list><text:list-item><text:p>Punkt i en liste</text:p></text:list-item></text:list>
    <table:table><table:table-row><table:table-cell><text:p>Kode</text:p></table:table-cell><table:table-cell><text:p>Fortetting</text:p></table:table-cell></table:table-row></table:table>
  </office:text></office:body>
</office:document-content>"""


def odt_bytes(content: str = ODT_CONTENT, mimetype: bytes = importers.ODT_MIMETYPE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored first, uncompressed, as ODF requires
        archive.writestr("content.xml", content.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", b"<manifest:manifest/>")
    return buffer.getvalue()


def weasyprint_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


# Plain text and encodings ---------------------------------------------------------------------------------------------


def test_latin1_txt_with_norwegian_letters_decodes_in_auto_mode():
    data = f"Moderator: Hvordan er det i Bodø?\nI1: Det er godt å være her, vi går mye på tur.\n{NORWEGIAN}\n".encode(
        "iso-8859-1"
    )
    # charset-normalizer alone reads these bytes as Central European ("Bodř"): the guard must not.
    result = importers.read_bytes(data, filename="intervju.txt")
    assert result.format == importers.TXT
    assert "Bodø" in result.text and "være" in result.text and "går" in result.text
    assert "ř" not in result.text and "ĺ" not in result.text
    assert result.encoding in ("cp1252", "iso-8859-1")


def test_latin1_short_text_decodes_in_auto_mode():
    assert importers.read_bytes("Bodø, være, gå".encode("iso-8859-1")).text == "Bodø, være, gå"


def test_cp1252_punctuation_is_read_as_windows_1252_not_control_characters():
    result = importers.read_bytes("Vi sa «ja» – og så gikk vi … til Bodø.".encode("cp1252"))
    assert result.text == "Vi sa «ja» – og så gikk vi … til Bodø."
    assert result.encoding == "cp1252"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings_with_and_without_bom(encoding):
    result = importers.read_bytes(NORWEGIAN.encode(encoding))
    assert result.text == NORWEGIAN


def test_mac_roman_is_recognised():
    assert importers.read_bytes(NORWEGIAN.encode("mac_roman")).text == NORWEGIAN


@pytest.mark.parametrize("declared", ["cp1252", "iso-8859-1"])
def test_utf8_declared_as_single_byte_encoding_never_produces_mojibake(declared):
    data = f"{NORWEGIAN}\nÆØÅ æøå".encode()
    error = refusal(importers.read_bytes, data, encoding=declared)
    assert error.code == "garbled"
    assert "Ã¸" in error.messages[0] or "Ã" in error.messages[0]


def test_latin1_declared_as_utf8_is_refused_with_a_clear_message():
    error = refusal(importers.read_bytes, NORWEGIAN.encode("iso-8859-1"), encoding="utf-8")
    assert error.code == "encoding"
    assert "UTF-8" in error.messages[0]


def test_a_file_mixing_utf8_and_latin1_is_refused_not_guessed():
    data = "Bodø er fin. ".encode() + "Vi går på tur og det er godt å være her.".encode("iso-8859-1")
    error = refusal(importers.read_bytes, data)
    assert error.code in ("encoding", "garbled")
    assert "encoding" in error.messages[0]


def test_text_already_garbled_in_utf8_is_refused():
    garbled = NORWEGIAN.encode("utf-8").decode("cp1252")  # "BodÃ¸ …", saved again as UTF-8
    error = refusal(importers.read_bytes, garbled.encode("utf-8"))
    assert error.code == "garbled"
    assert "Ã¸" in error.messages[0]


def test_replacement_characters_are_refused():
    error = refusal(importers.read_pasted, "Bod\ufffd er fin")
    assert error.code == "garbled"


def test_explicit_encoding_is_used():
    assert importers.read_bytes(NORWEGIAN.encode("cp1252"), encoding="cp1252").text == NORWEGIAN
    assert importers.read_bytes(NORWEGIAN.encode("utf-16-le"), encoding="utf-16").text == NORWEGIAN


# Normalisation --------------------------------------------------------------------------------------------------------


def test_normalisation_line_ends_nfc_and_controls_only():
    decomposed = "Bodo\u0308 og a\u030a"  # "Bodö og å" written with combining marks
    text = importers.normalise_text(f"\ufeffLinje 1\r\nLinje 2\rLinje\x00 3\x07\tfane  \n\n{decomposed}  \n")
    assert text == "Linje 1\nLinje 2\nLinje 3\tfane  \n\nBodö og å  \n"
    assert "\u030a" not in text


def test_page_and_line_separators_become_line_ends():
    assert importers.normalise_text("a\x0cb\u2028c\x0bd") == "a\nb\nc\nd"


def test_line_ends_garbling_and_binary_checks_match_their_plain_definitions():
    """The quick tests for long texts decide as the regular expressions and the byte count they stand in for."""
    rng = random.Random(7)
    alphabet = ["a", "ø", "\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "Ã", "Â", "â", "€", "¸", "–"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        lines = re.sub("\r\n|[\r\x0b\x0c\x85\u2028\u2029]", "\n", text)
        assert importers.normalise_text(text) == unicodedata.normalize("NFC", importers._CONTROLS.sub("", lines))
        found = importers._MOJIBAKE.search(text)
        assert importers.garbled_sample(text) == (found.group() if found else None)
    for _ in range(500):
        data = bytes(rng.choice(b"ab\t\n\r\x01\x02\x1a\x1b\x1f") for _ in range(rng.randint(1, 300)))
        controls = sum(1 for byte in data if byte < 0x20 and byte not in b"\t\n\r\x0b\x0c\x1a\x1b")
        assert importers._looks_binary(data) == (controls > len(data) / 100)


# .docx, .odt, PDF -----------------------------------------------------------------------------------------------------


def test_docx_paragraphs_are_kept_as_lines_and_tables_as_tab_separated_rows():
    paragraphs = [
        "Intervju med T-K1, Tromsø",
        "",
        "Moderator: Hva må være på plass for å lære?",
        "T-K1: Et felles forum – ha kurs og tema.",
        "Æ, Ø og Å står også først i en setning: Østover, Ærlig, Åpent.",
    ]
    data = docx_bytes(paragraphs, table=[["Informant", "Fortetting"], ["T-K1", "Felles forum for læring"]])
    result = importers.read_bytes(data, filename="transkripsjon.docx")
    assert result.format == importers.DOCX
    lines = result.text.split("\n")
    assert lines[: len(paragraphs)] == paragraphs
    assert "Informant\tFortetting" in lines
    assert "T-K1\tFelles forum for læring" in lines
    assert lines[-1] == "Etter tabellen."


def test_docx_named_txt_is_still_read_as_docx():
    result = importers.read_bytes(docx_bytes(["Bodø og være"]), filename="feil-navn.txt")
    assert result.format == importers.DOCX and result.text == "Bodø og være"


def test_odt_paragraphs_spaces_tabs_and_line_breaks():
    result = importers.read_bytes(odt_bytes(), filename="notat.odt")
    assert result.format == importers.ODT
    assert result.text.split("\n") == [
        "Intervju med AG1",
        "AG1: Det er viktig å være med   fra starten.",
        "I:\tHvordan gikk det i Bodø?",
        "Fortsett gjerne.",
        "Punkt i en liste",
        "Kode\tFortetting",
    ]
    assert "Fotnote" not in result.text


def test_odt_with_entity_expansion_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    error = refusal(importers.read_bytes, odt_bytes(content=bomb), filename="bomb.odt")
    assert error.code == "unreadable"


def test_a_spreadsheet_zip_is_unsupported():
    data = odt_bytes(mimetype=b"application/vnd.oasis.opendocument.spreadsheet")
    assert refusal(importers.read_bytes, data, filename="tabell.odt").code == "unsupported"


def test_text_pdf_made_with_weasyprint_is_read():
    pdf = weasyprint_pdf(
        "<p>Moderator: Hvordan er det å bo i Bodø?</p><p>I1: Det er fint å være her, vi går på tur.</p>"
    )
    result = importers.read_bytes(pdf, filename="transkripsjon.pdf")
    assert result.format == importers.PDF
    assert "Moderator: Hvordan er det å bo i Bodø?" in result.text
    assert "I1: Det er fint å være her, vi går på tur." in result.text


def test_image_only_pdf_is_refused_as_scanned():
    image = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    pdf = weasyprint_pdf(f'<img src="{image}" width="200">')
    error = refusal(importers.read_bytes, pdf, filename="skannet.pdf")
    assert error.code == "no_text_layer"
    assert "no text layer" in error.messages[0] and "scanned" in error.messages[0]


def test_empty_pdf_is_refused_as_scanned():
    assert refusal(importers.read_bytes, pdf_bytes(pages=2), filename="tom.pdf").code == "no_text_layer"


def test_broken_pdf_is_refused():
    assert refusal(importers.read_bytes, b"%PDF-1.7\nnot really", filename="x.pdf").code == "unreadable"


# Limits and types -----------------------------------------------------------------------------------------------------


def test_png_renamed_txt_is_unsupported():
    error = refusal(importers.read_bytes, png_bytes(), filename="transkripsjon.txt")
    assert error.code == "unsupported"
    assert "PNG" in error.messages[0] and "transkripsjon.txt" in error.messages[0]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".docx"),
        (b"ID3\x03\x00" + b"\x00" * 100, "audio"),
        (b"\x00\x01\x02\x03binary\x00\x00\x05", "not a file type"),
    ],
)
def test_other_binaries_are_unsupported(data, words):
    error = refusal(importers.read_bytes, data, filename="x.txt")
    assert error.code == "unsupported" and words in error.messages[0]


def test_too_large_upload_is_refused_before_reading(settings):
    settings.SOURCE_MAX_BYTES = 1000
    upload = SimpleUploadedFile("lang.txt", b"a" * 1001, content_type="text/plain")
    error = refusal(importers.read_upload, upload)
    assert error.code == "too_large" and "limit" in error.messages[0]
    assert importers.read_upload(SimpleUploadedFile("ok.txt", b"a" * 1000)).length == 1000


def test_too_long_paste_is_refused(settings):
    settings.SOURCE_MAX_BYTES = 10
    assert refusal(importers.read_pasted, "æøå æøå æøå").code == "too_large"


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", "\ufeff\n".encode()])
def test_empty_text_is_refused(data):
    assert refusal(importers.read_bytes, data, filename="tom.txt").code == "empty"


def test_empty_docx_is_refused():
    assert refusal(importers.read_bytes, docx_bytes(["", "  "]), filename="tom.docx").code == "empty"


# Speaker labels -------------------------------------------------------------------------------------------------------


def test_speaker_labels_of_several_styles():
    text = (
        "Intervju 3, februar\n"
        "I3: Jeg begynte i 2009.\n"
        "Moderator: Og så?\n"
        "K2 - Da kom omorganiseringen.\n"
        "AG1: Enig.\n"
        "Informant 4 – Ikke jeg.\n"
        "Intervjuer: Takk.\n"
        "F: Hva med deg?\n"
        "I: Bra.\n"
        "Informant 4: Igjen.\n"
        "[00:12:31] T-K1: Med tidskode.\n"
    )
    turns = importers.find_speaker_turns(text, informant_codes=["T-K1", "F"])
    assert [turn.label for turn in turns] == [
        "I3", "Moderator", "K2", "AG1", "Informant 4", "Intervjuer", "F", "I", "Informant 4", "T-K1"
    ]  # fmt: skip
    first = turns[0]
    assert first.start == text.index("I3:") and text[first.label_end :].startswith("Jeg begynte")
    # Each turn runs to the next label's line start; the last to the end of the text.
    for turn, following in zip(turns, turns[1:], strict=False):
        assert turn.end == following.start
    assert turns[-1].end == len(text)
    assert text[turns[-1].label_end :] == "Med tidskode.\n"


def test_prose_with_a_colon_or_a_dash_is_not_a_speaker():
    text = (
        "Moderator: Fortell.\n"
        "T-K1: Ja.\n"
        "Ja – det er sånn det er.\n"
        "Tid – ja det er det.\n"
        "Det var sånn: vi måtte.\n"
        "Merk: én gang er ikke en etikett.\n"
        "Kl 12:30 startet vi.\n"
        "Fokusgruppe 1 – Tromsø-gruppen\n"
        "Spørsmål 2: Hva hindrer læring?\n"
        "https://example.org er en lenke.\n"
    )
    assert [turn.label for turn in importers.find_speaker_turns(text)] == ["Moderator", "T-K1"]


def test_a_capitalised_label_without_digit_counts_when_it_repeats():
    text = "Moderator: Hei.\nFlere: Ja.\nModerator: Flere?\nFlere: Enig.\n"
    assert [turn.label for turn in importers.find_speaker_turns(text)] == ["Moderator", "Flere", "Moderator", "Flere"]


def test_labels_are_grouped_without_regard_to_case():
    turns = importers.find_speaker_turns("Moderator: a\nMODERATOR: b\nmoderator: c\n")
    assert {turn.label for turn in turns} == {"Moderator"}
