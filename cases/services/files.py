"""Uploaded files: checked by content, not by name; stored under random names."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cases.models import StoredFile, Study, User

# What a letter, a consent form or an agenda may be, recognised by its first bytes.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    # .docx and .odt are zip containers; the service checks what is inside.
    "application/zip": (b"PK\x03\x04",),
}
ZIP_KINDS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "content.xml": "application/vnd.oasis.opendocument.text",
}


def sniff_content_type(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            if content_type == "application/zip":
                return _zip_kind(upload)
            return content_type
    return None


def _zip_kind(upload: UploadedFile) -> str | None:
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    finally:
        upload.seek(0)
    for marker, content_type in ZIP_KINDS.items():
        if marker in names:
            return content_type
    return None


def _pdf_is_readable(upload: UploadedFile) -> bool:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(upload)
        _pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        return False
    finally:
        upload.seek(0)
    return _pages >= 0


def stored_file_create(
    *, study: Study, actor: User, upload: UploadedFile, allowed: frozenset[str] = frozenset({"application/pdf"})
) -> StoredFile:
    """Store ``upload`` if its content is one of ``allowed``; otherwise a ValidationError says why."""
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."))
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)}
        )
    content_type = sniff_content_type(upload)
    if content_type not in allowed or (content_type == "application/pdf" and not _pdf_is_readable(upload)):
        raise ValidationError(
            _("“%(name)s” is not a %(kinds)s file (checked by its content, not its name).")
            % {"name": upload.name, "kinds": ", ".join(sorted(kind.split("/")[-1].split(".")[-1].upper() for kind in allowed))}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = StoredFile(
        study=study,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    stored.file.save(upload.name, upload, save=False)
    stored.save()
    return stored
