"""Uploaded files: checked by content, not by name; stored under random names."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cases.models import StoredFile, Study, User

from .audit import audit_record

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


PDF_ONLY = frozenset({"application/pdf"})

# Names written to storage inside an ``uploads_discarded_on_failure`` block.
_stored_in_block: ContextVar[list[str] | None] = ContextVar("stored_in_block", default=None)


def stored_file_check(upload: UploadedFile, *, allowed: frozenset[str] = PDF_ONLY) -> str:
    """The content type of ``upload`` if it may be stored; otherwise a ValidationError says why.

    Writes nothing, so forms call it to reject a bad file before any row exists.
    """
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
            % {
                "name": upload.name,
                "kinds": ", ".join(sorted(kind.split("/")[-1].split(".")[-1].upper() for kind in allowed)),
            }
        )
    return content_type


@contextmanager
def uploads_discarded_on_failure() -> Iterator[None]:
    """Delete the files stored inside the block when the block fails.

    A database rollback takes the StoredFile rows back but not the bytes on
    disk; wrap a service's transaction in this so a failed write leaves no
    orphan file in MEDIA_ROOT.
    """
    names: list[str] = []
    token = _stored_in_block.set(names)
    try:
        yield
    except BaseException:
        storage = StoredFile._meta.get_field("file").storage
        for name in names:
            storage.delete(name)
        raise
    finally:
        _stored_in_block.reset(token)


def stored_file_create(
    *, study: Study, actor: User, upload: UploadedFile, allowed: frozenset[str] = PDF_ONLY
) -> StoredFile:
    """Store ``upload`` if its content is one of ``allowed``; otherwise a ValidationError says why.

    After: a StoredFile row and its bytes under a random name. Call inside
    ``uploads_discarded_on_failure`` when a later step may roll the row back.
    """
    content_type = stored_file_check(upload, allowed=allowed)
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
    try:
        stored.save()
    except BaseException:
        stored.file.delete(save=False)
        raise
    names = _stored_in_block.get()
    if names is not None:
        names.append(stored.file.name)
    return stored


def stored_file_attach(
    *,
    instance: models.Model,
    field_name: str,
    study: Study,
    actor: User,
    upload: UploadedFile | None,
    action: str,
    label: str,
) -> StoredFile | None:
    """Store ``upload`` and point ``instance.<field_name>`` at it, with an audit row; nothing if no upload."""
    if upload is None:
        return None
    stored = stored_file_create(study=study, actor=actor, upload=upload)
    setattr(instance, field_name, stored)
    instance.save(update_fields=[field_name])
    audit_record(study=study, actor=actor, action=action, target=instance, label=label, file_id=stored.pk)
    return stored


def stored_file_open(*, stored_file: StoredFile, actor: User) -> File:
    """Open a stored file for download and audit the download.

    Raises FileNotFoundError (and audits nothing) when the bytes are gone. The
    audit row names the file by id and type only: an original name may identify a person.
    """
    handle = stored_file.file.open("rb")
    audit_record(
        study=stored_file.study,
        actor=actor,
        action="file.downloaded",
        target=stored_file,
        label=stored_file.content_type,
        file_id=stored_file.pk,
        size=stored_file.size,
    )
    return handle
