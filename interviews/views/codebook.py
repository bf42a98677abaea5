"""The codebook (tree, create, edit, move, reorder, merge, drop, delete, seed, CSV) and memos."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Study
from cases.permissions import Action, get_object_in_study
from cases.views.base import post_only, study_view, submit_form
from interviews.forms.codebook import (
    CodebookImportForm,
    CodebookSeedForm,
    CodeForm,
    CodeMergeForm,
    CodeMoveForm,
    MemoFilterForm,
    MemoForm,
)
from interviews.models import Code, Memo, Source
from interviews.selectors_codebook import codebook_page, codebook_page_of
from interviews.selectors_codebook import memo_list as memo_list_selector
from interviews.services import codebook as services
from interviews.services import codebook_csv
from interviews.services import memos as memo_services
from interviews.services.review import open_codebook_batch

IMPORT_SESSION_KEY = "codebook_import"
MEMOS_PER_PAGE = 50


def _form_page(request: HttpRequest, study: Study, form: Form, title: str, **extra: Any) -> HttpResponse:
    context = {
        "study": study,
        "form": form,
        "title": title,
        "cancel_url": reverse("codebook", args=[study.pk]),
        **extra,
    }
    return render(request, "interviews/codebook/code_form.html", context, status=400 if form.is_bound else 200)


def _code_of_study(study: Study, pk: Any) -> Code | None:
    return None if pk is None else get_object_in_study(Code, study, pk)


# The tree -----------------------------------------------------------------------------------------------------------


@study_view()
def codebook(request: HttpRequest, study: Study) -> HttpResponse:
    shown = codebook_page(study, request.GET.get("page"))
    hide_inactive = request.GET.get("show") == "active"
    return render(
        request,
        "interviews/codebook/codebook.html",
        {
            "study": study,
            "tree": shown.tree,
            "page": shown.page,
            "hide_inactive": hide_inactive,
            "inactive_count": sum(1 for node in shown.tree.nodes if not node.is_active),
            "open_review": open_codebook_batch(study),
        },
    )


def _to_code(study: Study, code_id: int | None) -> HttpResponse:
    """Back to the codebook, on the page that shows code ``code_id``, scrolled to it."""
    url = reverse("codebook", args=[study.pk])
    if code_id is None:
        return redirect(url)
    number = codebook_page_of(study, code_id)
    return redirect(f"{url}{f'?page={number}' if number > 1 else ''}#code-{code_id}")


# One code -----------------------------------------------------------------------------------------------------------


@study_view(Action.EDIT)
def code_create(request: HttpRequest, study: Study) -> HttpResponse:
    initial = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        parent = get_object_in_study(Code, study, int(parent_id))
        initial = {"parent": parent.pk, "colour": parent.colour, "research_question": parent.research_question_id}
    form = CodeForm(request.POST or None, study=study, with_parent=True, initial=initial)

    created: list[Code] = []

    def save() -> None:
        data = dict(form.cleaned_data)
        parent = _code_of_study(study, data.pop("parent"))
        created.append(services.code_create(study=study, actor=request.user, parent=parent, **data))

    if submit_form(request, form, save, _("Code added.")):
        return _to_code(study, created[0].pk)
    return _form_page(request, study, form, _("Add a code"))


@study_view(Action.EDIT)
def code_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    form = CodeForm(request.POST or None, study=study, instance=copy.deepcopy(code))
    if submit_form(
        request,
        form,
        lambda: services.code_update(code=code, actor=request.user, data=form.cleaned_data),
        _("Code saved."),
    ):
        return _to_code(study, code.pk)
    return _form_page(
        request, study, form, _("Edit code “%(name)s”") % {"name": code.name}, code=code, definition_review=True
    )


@study_view(Action.EDIT)
def code_move(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    form = CodeMoveForm(
        request.POST or None,
        study=study,
        exclude=services.subtree_ids(code),
        initial={"parent": code.parent_id, "position": code.position + 1},
    )

    def save() -> None:
        position = form.cleaned_data["position"]
        services.code_move(
            code=code,
            actor=request.user,
            parent=_code_of_study(study, form.cleaned_data["parent"]),
            position=None if position is None else position - 1,
        )

    if submit_form(request, form, save, _("Code moved.")):
        return _to_code(study, code.pk)
    return _form_page(
        request,
        study,
        form,
        _("Move code “%(name)s”") % {"name": code.name},
        intro=_("Its sub-codes and coded excerpts move with it."),
        submit_label=_("Move"),
    )


@study_view(Action.EDIT)
def code_reorder(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    if request.method != "POST":
        return post_only()
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse(_("Move a code up or down."), status=400)
    services.code_reorder(code=code, actor=request.user, direction=direction)
    return _to_code(study, code.pk)


@study_view(Action.EDIT)
def code_merge(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    if code.status != Code.Status.ACTIVE:
        messages.error(request, _("Only active codes can be merged."))
        return _to_code(study, code.pk)
    form = CodeMergeForm(request.POST or None, study=study, exclude=services.subtree_ids(code))
    result: list[services.MergeResult] = []

    def save() -> None:
        target = get_object_in_study(Code, study, form.cleaned_data["target"])
        result.append(services.code_merge(source_code=code, target_code=target, actor=request.user))

    if submit_form(request, form, save, _("“%(name)s” is merged.") % {"name": code.name}):
        messages.info(
            request,
            ngettext(
                "%(n)d excerpt moved to the target code.",
                "%(n)d excerpts moved to the target code.",
                result[0].codings_moved + result[0].duplicates_removed,
            )
            % {"n": result[0].codings_moved + result[0].duplicates_removed},
        )
        return _to_code(study, code.pk)
    return _form_page(
        request,
        study,
        form,
        _("Merge “%(name)s” into another code") % {"name": code.name},
        intro=_(
            "Every excerpt coded with it gets the target code instead, its sub-codes move under the target, "
            "and it stays in the codebook marked as merged. This cannot be undone."
        ),
        submit_label=_("Merge"),
    )


def _run(request: HttpRequest, run: Any, success: str) -> bool:
    """Run a service for a one-button POST; its refusal becomes an error message (then False)."""
    try:
        run()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success)
    return True


@study_view(Action.EDIT)
def code_drop(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    if request.method != "POST":
        return post_only()
    _run(
        request,
        lambda: services.code_drop(code=code, actor=request.user),
        _("“%(name)s” is dropped: its excerpts keep it, but it is no longer offered for coding.") % {"name": code.name},
    )
    return _to_code(study, code.pk)


@study_view(Action.EDIT)
def code_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    code = get_object_in_study(Code, study, pk)
    if request.method != "POST":
        return post_only()
    deleted = _run(request, lambda: services.code_delete(code=code, actor=request.user), _("Code deleted."))
    # Back to where it was, its parent, or to the code if it was refused.
    return _to_code(study, code.parent_id if deleted else code.pk)


# The codebook as a whole --------------------------------------------------------------------------------------------


@study_view(Action.EDIT)
def codebook_seed(request: HttpRequest, study: Study) -> HttpResponse:
    form = CodebookSeedForm(request.POST or None, study=study)
    result: list[services.SeedResult] = []

    def save() -> None:
        result.append(
            services.codebook_seed_from_guide(study=study, actor=request.user, version=form.cleaned_data["version"])
        )

    if submit_form(request, form, save, _("The codebook is seeded from the guide.")):
        messages.info(
            request,
            _("%(created)d codes created, %(skipped)d guide questions already had a code.")
            % {"created": result[0].created, "skipped": result[0].skipped},
        )
        return redirect("codebook", study.pk)
    return _form_page(
        request,
        study,
        form,
        _("Seed the codebook from an interview guide"),
        intro=_(
            "Each theme of the guide becomes a code, and each question a code under it, linked to the question "
            "and its research question. Questions that already have a code are skipped, so you can run this "
            "again after adding questions."
        ),
        submit_label=_("Seed"),
        empty_message=None if form.fields["version"].queryset.exists() else _("This study has no interview guide yet."),
        empty_url=reverse("instrument_list", args=[study.pk]),
    )


@study_view()
def codebook_export(request: HttpRequest, study: Study) -> HttpResponse:
    # UTF-8 with a byte-order mark, so Excel shows æøå.
    content = codebook_csv.codebook_export_csv(study=study).encode("utf-8-sig")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"codebook-{slugify(study.title)[:40] or study.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@study_view(Action.EDIT)
def codebook_import(request: HttpRequest, study: Study) -> HttpResponse:
    """Upload and preview; then ``confirm`` applies the previewed file, all rows or none.

    Between the steps the file's text waits in the session (size-capped by the
    parser); the confirm step parses it again, because the codebook may have changed meanwhile.
    """
    context: dict[str, Any] = {"study": study, "columns": codebook_csv.CSV_COLUMNS}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(IMPORT_SESSION_KEY) or {}
        if pending.get("study") != study.pk:
            messages.error(request, _("The preview has expired. Upload the file again."))
            return redirect("codebook_import", study.pk)
        request.session.pop(IMPORT_SESSION_KEY, None)
        preview = codebook_csv.codebook_import_parse(study=study, text=pending["text"])
        try:
            created, updated = codebook_csv.codebook_import_apply(study=study, actor=request.user, preview=preview)
        except ValidationError as error:
            context.update(
                form=CodebookImportForm(),
                preview=preview,
                filename=pending.get("name", ""),
                apply_errors=error.messages,
            )
            return render(request, "interviews/codebook/codebook_import.html", context, status=400)
        messages.success(
            request,
            _("Codebook imported: %(created)d codes created, %(updated)d updated.")
            % {"created": created, "updated": updated},
        )
        return redirect("codebook", study.pk)

    form = CodebookImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = codebook_csv.codebook_csv_decode(upload.read(codebook_csv.IMPORT_MAX_BYTES + 1))
        except codebook_csv.CodebookImportFileError as error:
            form.add_error("file", str(error))
        else:
            preview = codebook_csv.codebook_import_parse(study=study, text=text)
            for message in preview.errors:
                form.add_error("file", message)
            if not preview.errors:
                if preview.is_valid:
                    request.session[IMPORT_SESSION_KEY] = {"study": study.pk, "text": text, "name": upload.name}
                else:
                    request.session.pop(IMPORT_SESSION_KEY, None)
                context.update(form=CodebookImportForm(), preview=preview, filename=upload.name)
                return render(
                    request,
                    "interviews/codebook/codebook_import.html",
                    context,
                    status=200 if preview.is_valid else 400,
                )
    context["form"] = form
    return render(request, "interviews/codebook/codebook_import.html", context, status=400 if form.is_bound else 200)


# Memos --------------------------------------------------------------------------------------------------------------


def _memo_target(study: Study, value: str) -> dict[str, Any]:
    """``study``, ``code-<id>`` or ``source-<id>`` as the service's ``code``/``source``; 404 outside the study."""
    kind, _sep, pk = value.partition("-")
    if kind == "code" and pk.isdigit():
        return {"code": get_object_in_study(Code, study, int(pk)), "source": None}
    if kind == "source" and pk.isdigit():
        return {"code": None, "source": get_object_in_study(Source, study, int(pk))}
    if value == "study":
        return {"code": None, "source": None}
    raise Http404("No such memo target.")


def _memo_page(request: HttpRequest, study: Study, form: Form, **extra: Any) -> HttpResponse:
    return render(
        request,
        "interviews/codebook/memo_form.html",
        {"study": study, "form": form, **extra},
        status=400 if form.is_bound else 200,
    )


@study_view()
def memo_list(request: HttpRequest, study: Study) -> HttpResponse:
    filters = MemoFilterForm(request.GET or None, study=study)
    target = filters.cleaned_data["target"] if filters.is_valid() else ""
    page = Paginator(memo_list_selector(study, target=target), MEMOS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "interviews/codebook/memo_list.html",
        {"study": study, "page": page, "filters": filters, "target": target},
    )


@study_view(Action.EDIT)
def memo_create(request: HttpRequest, study: Study) -> HttpResponse:
    initial = {"target": "study"}
    for kind in ("code", "source"):
        value = request.GET.get(kind, "")
        if value:
            if not value.isdigit():
                raise Http404("No such memo target.")
            initial["target"] = f"{kind}-{value}"
            _memo_target(study, initial["target"])
    form = MemoForm(request.POST or None, study=study, initial=initial)

    def save() -> None:
        data = dict(form.cleaned_data)
        target = _memo_target(study, data.pop("target"))
        memo_services.memo_create(study=study, actor=request.user, title=data["title"], text=data["text"], **target)

    if submit_form(request, form, save, _("Memo saved.")):
        return redirect("memo_list", study.pk)
    return _memo_page(request, study, form, creating=True)


@study_view(Action.EDIT)
def memo_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    memo = get_object_in_study(Memo, study, pk)
    form = MemoForm(request.POST or None, study=study, instance=copy.deepcopy(memo))

    def save() -> None:
        data = dict(form.cleaned_data)
        data.update(_memo_target(study, data.pop("target")))
        memo_services.memo_update(memo=memo, actor=request.user, data=data)

    if submit_form(request, form, save, _("Memo saved.")):
        return redirect("memo_list", study.pk)
    return _memo_page(request, study, form, memo=memo)


@study_view(Action.EDIT)
def memo_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    memo = get_object_in_study(Memo, study, pk)
    if request.method != "POST":
        return post_only()
    memo_services.memo_delete(memo=memo, actor=request.user)
    messages.success(request, _("Memo deleted."))
    return redirect("memo_list", study.pk)
