"""Real and fake upload bytes for the file tests, built in memory."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True, name="media_root")
def media_root_fixture(settings, tmp_path):
    """Each test stores uploads in its own folder, so "no file was written" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf_bytes(pages: int = 1) -> bytes:
    """A small, valid PDF that pypdf reads back."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def pdf_upload(name: str = "sikt-vurdering.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


# Files named .pdf that are not PDFs: plain text and a renamed PNG.
NOT_PDFS = {
    "text": b"hello",
    "png": png_bytes(),
    "truncated": b"%PDF-1.7\nnot really a pdf",
}


def fake_pdf_upload(kind: str, name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, NOT_PDFS[kind], content_type="application/pdf")


def files_under(root: Path) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]
