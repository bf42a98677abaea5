"""The Exchange page: REFI-QDA projects and codebooks in and out, spreadsheets out.

Exports are for every member (as the retrieval CSV is): a supervisor reads all
of the study's research data anyway, and every export – whoever asks – leaves
out informants without valid consent and never holds the key list. Imports
change the study, so they need the edit right; a new study can be made from a
project by any signed-in user, who becomes its owner.

An import is two steps. The upload is checked and previewed; the file waits
under a random name in the default storage (the media folder, or the object
store that every web process of a department installation shares; its name in
the session) and the confirm step reads it again, because the study may have
changed meanwhile. Uploads never confirmed are deleted after a day.
Nothing is written before the confirm, and the confirm writes all or nothing.
Exports are built synchronously: a study of typical size (ten transcripts of
90 pages, a few hundred excerpts) takes well under a second.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import IO, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cases.models import Study
from cases.permissions import Action
from cases.services.audit import audit_record
from cases.views.base import study_view
from interviews.forms.exchange import ExchangeImportForm, NewStudyImportForm
from interviews.refi import exporter, importer, spreadsheets
from interviews.refi.archive import MAX_XML_BYTES, RefiFileError
from interviews.refi.reader import ParsedProject, read_codebook, read_project

SESSION_KEY = "refi_import"
PREVIEW_LIMIT = 200  # names listed per kind on the preview; the counts are always complete


PENDING_FOLDER = "refi-imports"
PENDING_LIFETIME = dt.timedelta(days=1)


def _sweep_abandoned() -> None:
    """Delete uploads whose import was never confirmed (they may hold transcripts) once they are a day old."""
    try:
        _folders, names = default_storage.listdir(PENDING_FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - PENDING_LIFETIME
    for name in names:
        path = f"{PENDING_FOLDER}/{name}"
        try:
            if name.endswith(".upload") and default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:  # another process swept it first
            continue


def _store(upload: Any) -> str:
    """Keep the uploaded file under a random name until the import is confirmed; returns the name."""
    _sweep_abandoned()
    token = secrets.token_urlsafe(24)
    default_storage.save(f"{PENDING_FOLDER}/{token}.upload", upload)
    return token


def _pending_path(token: str) -> str | None:
    """The storage name of a pending upload, if ``token`` is one of ours and the file is still there."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = f"{PENDING_FOLDER}/{token}.upload"
    return path if default_storage.exists(path) else None


def _discard(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None) or {}
    path = _pending_path(pending.get("token", ""))
    if path is not None:
        default_storage.delete(path)


def _read(stream: IO[bytes], kind: str) -> ParsedProject:
    if kind == "qdc":
        return read_codebook(stream.read(MAX_XML_BYTES + 1))
    return read_project(stream)


def _download(file: Any, filename: str, content_type: str) -> FileResponse:
    return FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)


def _filename(study: Study, stem: str, extension: str) -> str:
    return f"{stem}-{slugify(study.title)[:40] or study.pk}-{timezone.localdate():%Y-%m-%d}.{extension}"


# The page -------------------------------------------------------------------------------------------------------------


@study_view()
def exchange(request: HttpRequest, study: Study) -> HttpResponse:
    return render(
        request,
        "interviews/exchange/exchange.html",
        {"study": study, "plan": exporter.export_plan(study), "form": ExchangeImportForm()},
    )


# Exports --------------------------------------------------------------------------------------------------------------


@study_view()
def export_qdpx(request: HttpRequest, study: Study) -> HttpResponse:
    result = exporter.study_export_qdpx(study=study, actor=request.user)
    return _download(result.file, result.filename, "application/zip")


@study_view()
def export_qdc(request: HttpRequest, study: Study) -> HttpResponse:
    try:
        data, filename = exporter.codebook_export_qdc(study=study, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("exchange", study.pk)
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _audited(request: HttpRequest, study: Study, what: str, file_format: str) -> None:
    audit_record(study=study, actor=request.user, action="study.exported", target=study, label=what, format=file_format)


@study_view()
def export_excerpts_csv(request: HttpRequest, study: Study) -> HttpResponse:
    _audited(request, study, "excerpts", "csv")
    response = StreamingHttpResponse(
        spreadsheets.write_csv(spreadsheets.excerpt_table(study)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(study, "excerpts", "csv")}"'
    return response


@study_view()
def export_excerpts_xlsx(request: HttpRequest, study: Study) -> HttpResponse:
    _audited(request, study, "excerpts", "xlsx")
    file = spreadsheets.write_xlsx(spreadsheets.excerpt_table(study), title=_("Excerpts"))
    return _download(file, _filename(study, "excerpts", "xlsx"), spreadsheets.XLSX_TYPE)


@study_view()
def export_codebook_xlsx(request: HttpRequest, study: Study) -> HttpResponse:
    file = spreadsheets.write_xlsx(spreadsheets.codebook_table(study), title=_("Codebook"))
    return _download(file, _filename(study, "codebook", "xlsx"), spreadsheets.XLSX_TYPE)


@study_view()
def export_matrix_xlsx(request: HttpRequest, study: Study) -> HttpResponse:
    _audited(request, study, "code-groups", "xlsx")
    file = spreadsheets.write_xlsx(spreadsheets.code_group_table(study), title=_("Codes by group"))
    return _download(file, _filename(study, "code-groups", "xlsx"), spreadsheets.XLSX_TYPE)


# Imports --------------------------------------------------------------------------------------------------------------


def _preview_context(study: Study | None, kind: str, parsed: ParsedProject) -> dict[str, Any]:
    if kind == "qdc":
        assert study is not None
        return {"kind": kind, "codebook": importer.qdc_preview(study=study, project=parsed), "limit": PREVIEW_LIMIT}
    return {"kind": kind, "preview": importer.import_preview(study=study, project=parsed), "limit": PREVIEW_LIMIT}


def _import_page(
    request: HttpRequest, study: Study | None, form: Any, extra: dict[str, Any], status: int
) -> HttpResponse:
    context = {"study": study, "form": form, **extra}
    template = "interviews/exchange/import.html" if study is not None else "interviews/exchange/new_study_import.html"
    return render(request, template, context, status=status)


def _upload_preview(request: HttpRequest, study: Study | None, form: Any) -> HttpResponse:
    """Check the upload and show what it would add; keep it for the confirm step if it can be imported."""
    _discard(request)
    upload = form.cleaned_data["file"]
    kind = form.kind
    try:
        parsed = _read(upload, kind)
    except RefiFileError as error:
        form.add_error("file", str(error))
        return _import_page(request, study, form, {}, status=400)
    context = _preview_context(study, kind, parsed)
    context["filename"] = upload.name
    preview = context.get("preview")
    valid = preview is None or preview.is_valid
    if valid:
        upload.seek(0)
        request.session[SESSION_KEY] = {
            "study": study.pk if study else None,
            "token": _store(upload),
            "name": upload.name,
            "kind": kind,
            "title": form.cleaned_data.get("title", ""),
        }
    return _import_page(request, study, form, context, status=200 if valid else 400)


def _confirmed(request: HttpRequest, study: Study | None) -> tuple[dict[str, Any], ParsedProject | None, str]:
    """The pending upload for this study, read again; an empty dict when there is none (or it expired)."""
    pending = request.session.get(SESSION_KEY) or {}
    path = _pending_path(pending.get("token", ""))
    if pending.get("study") != (study.pk if study else None) or path is None:
        return {}, None, _("The preview has expired. Upload the file again.")
    try:
        with default_storage.open(path, "rb") as stream:
            return pending, _read(stream, pending["kind"]), ""
    except RefiFileError as error:
        return {}, None, str(error)


@study_view(Action.EDIT)
def exchange_import(request: HttpRequest, study: Study) -> HttpResponse:
    if request.method == "POST" and "confirm" in request.POST:
        pending, parsed, problem = _confirmed(request, study)
        if parsed is None:
            _discard(request)
            messages.error(request, problem)
            return redirect("exchange", study.pk)
        try:
            if pending["kind"] == "qdc":
                created, filled = importer.qdc_import(study=study, actor=request.user, project=parsed)
                summary = _("Codebook imported: %(created)d codes created, %(filled)d definitions filled in.") % {
                    "created": created,
                    "filled": filled,
                }
            else:
                result = importer.qdpx_import(study=study, actor=request.user, project=parsed)
                summary = _import_summary(result)
        except ValidationError as error:
            _discard(request)
            messages.error(request, _("Nothing was imported: %(errors)s") % {"errors": " ".join(error.messages)})
            return redirect("exchange", study.pk)
        _discard(request)
        messages.success(request, summary)
        return redirect("codebook" if pending["kind"] == "qdc" else "source_list", study.pk)

    form = ExchangeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _upload_preview(request, study, form)
    return _import_page(request, study, form, {}, status=400 if form.is_bound else 200)


def _import_summary(result: importer.ImportResult) -> str:
    return _(
        "Imported: %(codes)d new codes, %(sources)d sources, %(excerpts)d excerpts, %(informants)d new informants, "
        "%(memos)d memos."
    ) % {
        "codes": result.codes,
        "sources": result.sources,
        "excerpts": result.excerpts,
        "informants": result.informants,
        "memos": result.memos,
    }


@login_required
def study_import(request: HttpRequest) -> HttpResponse:
    """A new study from a REFI-QDA project, with a preview first; the user becomes its owner."""
    if request.method == "POST" and "confirm" in request.POST:
        pending, parsed, problem = _confirmed(request, None)
        if parsed is None or pending.get("kind") != "qdpx":
            _discard(request)
            messages.error(request, problem or _("The preview has expired. Upload the file again."))
            return redirect("study_import")
        try:
            result = importer.qdpx_import_new_study(owner=request.user, project=parsed, title=pending.get("title", ""))
        except ValidationError as error:
            _discard(request)
            messages.error(request, _("Nothing was imported: %(errors)s") % {"errors": " ".join(error.messages)})
            return redirect("study_import")
        _discard(request)
        messages.success(request, _import_summary(result))
        return redirect("study_overview", result.study.pk)

    form = NewStudyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        return _upload_preview(request, None, form)
    return _import_page(request, None, form, {}, status=400 if form.is_bound else 200)
