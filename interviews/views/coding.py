"""The coding view: read a source, select text, apply codes, adjust excerpts, undo.

Writes come from ``static/js/coding.js`` as ``fetch`` POSTs (header
``X-Requested-With: fetch``) and get the re-rendered text, margin and code list
back as one HTML fragment. The same URLs accept plain form posts (the margin's
buttons work without JavaScript) and then redirect to the coding view. Bad or
forged input gets 400 and writes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import CharField, Q
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import consent_policy
from cases.models import Study
from cases.permissions import Action, get_object_in_study
from cases.precompiled import Precompiled, field_names, instance
from cases.views.base import study_view
from interviews import selectors_comments as comment_threads
from interviews.forms.coding import (
    CodeChoiceForm,
    ExcerptCreateForm,
    ExcerptDetailForm,
    SelectionForm,
    corroboration_choices,
    excerpt_label,
)
from interviews.models import Code, CodingAction, Excerpt, Source
from interviews.selectors_codebook import fingerprint_sql
from interviews.services import excerpts as services
from interviews.services.codebook import code_create
from interviews.views import coding_parts as parts

IN_VIVO_MAX_LENGTH = 200
CORROBORATION_RESULTS = 20
CODE_SEARCH_RESULTS = 50


# --- reading -----------------------------------------------------------------------------------------------


def _can_undo(request: HttpRequest, source: Source) -> bool:
    return CodingAction.objects.filter(source=source, actor=request.user, undone_at__isnull=True).exists()


def _workspace(request: HttpRequest, study: Study, source: Source, message: str = "") -> dict:
    """Everything the text, margin and picker need, in a fixed number of queries whatever the excerpt count."""
    book = parts.codebook(study)
    # A supervisor does not see excerpts of informants without consent; the page says which and why.
    left_out = (
        consent_policy.left_out(Excerpt.objects.filter(source=source), study)
        if consent_policy.hides_excluded(request.study_role)
        else consent_policy.LeftOut()
    )
    rows = parts.excerpt_rows(source, book, hidden=left_out.excerpt_ids)
    # Their words in the transcript are blotted out too, not only their coded excerpts.
    masked = (
        set(consent_policy.excluded_informants(study)) if consent_policy.hides_excluded(request.study_role) else set()
    )
    can_edit = request.study_can[Action.EDIT.value]
    used_codes = {code.pk: code for row in rows for code in row["codes"]}
    return {
        "study": study,
        "source": source,
        "text_html": parts.text_html(source, book, rows=rows, masked=masked),
        "margin_html": parts.margin_html(rows, can_edit),
        "excerpt_count": len(rows),
        "codes_html": parts.code_panel_html(book) if can_edit else None,
        # The colours of the codes on this page; a large codebook's picker carries those of the codes it shows.
        "colour_codes": list(
            used_codes.values() if book.is_large else {**used_codes, **{code.pk: code for code in book.active}}.values()
        ),
        "can_edit": can_edit,
        "can_undo": can_edit and _can_undo(request, source),
        "message": message,
        "left_out": left_out,
    }


def _load_source(study: Study, pk: int) -> Source:
    return get_object_in_study(Source.objects.select_related("session", "study"), study, pk)


# Every applied code runs it: compiled once (cases/precompiled.py). One row, so no ORDER BY (the model's
# ordering, by title, would only add a sort).
_SOURCE = Precompiled(
    lambda study, pk: Source.objects.filter(study_id=study, pk=pk).order_by().values_list(*field_names(Source)),
    "study",
    "pk",
)
# The same on PostgreSQL with the codebook's fingerprint as a column, saving its own round trip.
_SOURCE_STUDY_COLUMN = f'"{Source._meta.db_table}"."study_id"'
_SOURCE_WITH_FINGERPRINT = Precompiled(
    lambda study, pk: (
        Source.objects.filter(study_id=study, pk=pk)
        .order_by()
        # Names from the models only (fingerprint_sql), no value: nothing from a request goes into this SQL.
        .annotate(codebook_fingerprint=RawSQL(fingerprint_sql(_SOURCE_STUDY_COLUMN), (), output_field=CharField()))  # noqa: S611
        .values_list(*field_names(Source), "codebook_fingerprint")
    ),
    "study",
    "pk",
)


def _load_source_and_fingerprint(study: Study, pk: int) -> tuple[Source, str | None]:
    """The source, and the codebook's fingerprint read in the same statement on PostgreSQL (else None).

    No lock: ``services.excerpt_create`` writes only if the source is still as read here.
    """
    alias = _SOURCE.alias(Source)
    with_fingerprint = connections[alias].vendor == "postgresql"
    query = _SOURCE_WITH_FINGERPRINT if with_fingerprint else _SOURCE
    rows = query.rows(model=Source, study=study.pk, pk=pk)
    if not rows:
        raise Http404("No such object in this study.")
    values, fingerprint = (rows[0][:-1], rows[0][-1]) if with_fingerprint else (rows[0], None)
    source = instance(Source, values, alias)
    source.study = study
    return source, fingerprint


def _load_excerpt(study: Study, pk: int) -> Excerpt:
    return get_object_in_study(Excerpt.objects.select_related("source", "study"), study, pk)


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.headers.get("HX-Request") == "true"


@study_view()
@require_GET
def coding_view(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk)
    context = _workspace(request, study, source)
    # The source's comment threads, in the margin: the supervisor comments here, the researcher answers.
    context["threads"] = comment_threads.threads_on(study, source=source)
    return render(request, "interviews/coding/coding.html", context)


@study_view(Action.EDIT)
@require_GET
def coding_code_children(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """A large codebook's picker: the active sub-codes of code ``pk``, loaded when its node is opened."""
    book = parts.codebook(study)
    if pk not in book.by_id:
        raise Http404
    context = {"nodes": parts.code_nodes(book, book.active_children.get(pk, []))}
    return render(request, "interviews/coding/partials/code_nodes.html", context)


@study_view(Action.EDIT)
@require_GET
def coding_code_search(request: HttpRequest, study: Study) -> HttpResponse:
    """A large codebook's picker: the first 50 active codes whose path holds every word typed."""
    query = " ".join(request.GET.get("q", "").split())[:200]
    found = parts.codebook(study).search(query, CODE_SEARCH_RESULTS + 1) if query else []
    context = {
        "codes": found[:CODE_SEARCH_RESULTS],
        "more": len(found) > CODE_SEARCH_RESULTS,
        "limit": CODE_SEARCH_RESULTS,
        "query": query,
    }
    return render(request, "interviews/coding/partials/code_results.html", context)


# --- answering writes --------------------------------------------------------------------------------------


def _done(request: HttpRequest, study: Study, source: Source, message: str, anchor: str = "") -> HttpResponse:
    """After a write that may touch anything (undo): the whole fragment for ``fetch``, else back to the view."""
    if _wants_fragment(request):
        return render(request, "interviews/coding/fragment.html", _workspace(request, study, source, message))
    messages.success(request, message)
    return redirect(reverse("coding_view", args=[study.pk, source.pk]) + anchor)


def _merged(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(windows):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _changed(
    request: HttpRequest,
    study: Study,
    source: Source,
    message: str,
    *,
    spans: list[tuple[int, int]] = (),
    upsert: list[int] = (),
    rows: list[dict] | None = None,
    book: parts.Codebook | None = None,
    removed: list[int] = (),
    codes_changed: bool = False,
    recorded_action: bool = True,
    warning: str = "",
    around: tuple[tuple[int, int], list, list] | None = None,
) -> HttpResponse:
    """After a local write: only the lines of text around ``spans`` and the margin items that changed.

    Re-rendering 250,000 characters and 1,000 margin items for every applied
    code would cost more than the write; the browser swaps these pieces in.
    ``rows`` (margin rows the caller already has) and ``book`` spare reading them again,
    and so does ``around``: a stretch of text with its turns and its excerpts' codings, already read,
    for a window inside it.
    """
    if not _wants_fragment(request):
        messages.success(request, message)
        if warning:
            messages.warning(request, warning)
        changed_ids = list(upsert) + [row["id"] for row in rows or []]
        anchor = f"#excerpt-{changed_ids[0]}" if changed_ids else ""
        return redirect(reverse("coding_view", args=[study.pk, source.pk]) + anchor)
    book = book or parts.codebook(study)
    rows = list(rows or []) + (parts.excerpt_rows(source, book, ids=list(upsert)) if upsert else [])
    windows = _merged([parts.line_window(source.text, start, end) for start, end in spans])
    labels = parts.coding_labels()
    # Built in Python, not a template: every applied code answers with it (0.4 ms through the template engine).
    toolbar = parts.toolbar_html(
        can_edit=True,
        # A write that recorded a coding action can be undone; saves a query on the hot path.
        can_undo=recorded_action or _can_undo(request, source),
        message=message,
        warning=warning,
    )
    windows_html = [
        (low, high, parts.text_html(source, book, window=(low, high), **_read_around(around, low, high)))
        for low, high in windows
    ]
    items = [(row["id"], parts.margin_item(row, True, labels)) for row in rows]
    codes_html = parts.code_panel_html(book) if codes_changed else None
    return HttpResponse(parts.changes_html(toolbar, windows_html, items, removed, codes_html))


def _read_around(around: tuple[tuple[int, int], list, list] | None, low: int, high: int) -> dict:
    """``text_html``'s turns and codings, if those already read cover the window ``[low, high)``."""
    if around is None:
        return {}
    (read_low, read_high), turns, codings = around
    return {"turns": turns, "codings": codings} if read_low <= low and high <= read_high else {}


def _refused(request: HttpRequest, study: Study, source: Source | None, errors: list[str]) -> HttpResponse:
    """400 with the reasons; nothing was written."""
    if _wants_fragment(request) or source is None:
        return JsonResponse({"errors": errors}, status=400)
    context = _workspace(request, study, source, "")
    context["errors"] = errors
    return render(request, "interviews/coding/coding.html", context, status=400)


def _form_errors(form) -> list[str]:
    return [str(message) for messages_ in form.errors.values() for message in messages_]


def _span(start: int, end: int) -> str:
    return f"{start}–{end}"


def _in_vivo_name(text: str) -> str:
    """The selected words as a code name: one line, no surrounding quotes or punctuation, at most 200 characters."""
    name = " ".join(text.split()).strip(" \"'«»“”‘’.,;:!?–-")
    if len(name) > IN_VIVO_MAX_LENGTH:
        name = name[: IN_VIVO_MAX_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return name


@study_view(Action.EDIT)
@require_POST
def excerpt_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = ExcerptCreateForm(request.POST)
    if not form.is_valid():
        return _refused(request, study, None, _form_errors(form))
    data = form.cleaned_data
    code_ids = list(data["code"])
    source = None
    try:
        # The source read with the codebook's fingerprint, the codes checked against the codebook, the turns of
        # the lines shown read with their speakers, then one statement that writes everything if the source is
        # still as read (it locks the source's row): no transaction around them, unless a new code is made too.
        source, fingerprint = _load_source_and_fingerprint(study, data["source"])
        # A new code changes the codebook: then it is read once that code is made, not before.
        book = None if data["in_vivo"] else parts.codebook(study, fingerprint)
        around = parts.line_window(source.text, data["start"], data["end"])
        with transaction.atomic() if data["in_vivo"] else nullcontext():
            if data["in_vivo"]:
                code_ids.append(_in_vivo_code(request, study, source, data).pk)
            excerpt = services.excerpt_create(
                source=source,
                actor=request.user,
                start=data["start"],
                end=data["end"],
                text=data["text"],
                code_ids=code_ids,
                known_codes=None if book is None else book.by_id,
                around=around,
            )
        if book is None:
            book = parts.codebook(study)  # with the new code
        read = (around, excerpt.turns_around, excerpt.codings_around)
    except ValidationError as error:
        return _refused(request, study, source, error.messages)
    return _changed(
        request,
        study,
        source,
        _("Coded %(span)s.") % {"span": _span(excerpt.start, excerpt.end)},
        spans=[(excerpt.start, excerpt.end)],
        rows=[parts.new_excerpt_row(excerpt, book)],
        book=book,
        codes_changed=data["in_vivo"],
        warning=excerpt.consent_warning,
        around=read,
    )


def _in_vivo_code(request: HttpRequest, study: Study, source: Source, data: dict) -> Code:
    """A new code named after the selected words (checked against the source first)."""
    services.check_offsets(source, data["start"], data["end"], data["text"])
    parent = None
    if data.get("parent"):
        parent = Code.objects.filter(study=study, pk=data["parent"]).first()
        if parent is None:
            raise ValidationError(_("The parent code does not exist in this study."))
    name = _in_vivo_name(data["text"])
    if not name:
        raise ValidationError(_("Select some words to name the new code after."))
    return code_create(study=study, actor=request.user, name=name, parent=parent, origin=Code.Origin.IN_VIVO)


@study_view(Action.EDIT)
@require_POST
def excerpt_adjust(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    excerpt = _load_excerpt(study, pk)
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return _refused(request, study, excerpt.source, _form_errors(form))
    data = form.cleaned_data
    before = (excerpt.start, excerpt.end)
    try:
        services.excerpt_adjust(
            excerpt=excerpt, actor=request.user, start=data["start"], end=data["end"], text=data["text"]
        )
    except ValidationError as error:
        return _refused(request, study, excerpt.source, error.messages)
    return _changed(
        request,
        study,
        excerpt.source,
        _("Excerpt now spans %(span)s.") % {"span": _span(excerpt.start, excerpt.end)},
        spans=[before, (excerpt.start, excerpt.end)],
        upsert=[excerpt.pk],
    )


def _posted_code(request: HttpRequest, study: Study) -> tuple[Code | None, list[str]]:
    form = CodeChoiceForm(request.POST)
    if not form.is_valid():
        return None, _form_errors(form)
    code = Code.objects.filter(study=study, pk=form.cleaned_data["code"]).first()
    if code is None:
        return None, [_("That code does not exist in this study.")]
    return code, []


@study_view(Action.EDIT)
@require_POST
def excerpt_code_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    excerpt = _load_excerpt(study, pk)
    code, errors = _posted_code(request, study)
    if code is None:
        return _refused(request, study, excerpt.source, errors)
    try:
        services.excerpt_code_add(excerpt=excerpt, actor=request.user, code=code)
    except ValidationError as error:
        return _refused(request, study, excerpt.source, error.messages)
    return _changed(
        request,
        study,
        excerpt.source,
        _("Applied “%(code)s”.") % {"code": code.name},
        spans=[(excerpt.start, excerpt.end)],
        upsert=[excerpt.pk],
    )


@study_view(Action.EDIT)
@require_POST
def excerpt_code_remove(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    excerpt = _load_excerpt(study, pk)
    code, errors = _posted_code(request, study)
    if code is None:
        return _refused(request, study, excerpt.source, errors)
    # Removing its last code deletes the excerpt, and the delete clears excerpt.pk: keep it for the answer.
    excerpt_pk = excerpt.pk
    gone = services.excerpt_code_remove(excerpt=excerpt, actor=request.user, code=code)
    return _changed(
        request,
        study,
        excerpt.source,
        _("Removed “%(code)s”.") % {"code": code.name},
        spans=[(excerpt.start, excerpt.end)],
        upsert=[] if gone else [excerpt_pk],
        removed=[excerpt_pk] if gone else [],
    )


@study_view(Action.EDIT)
@require_POST
def excerpt_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    excerpt = _load_excerpt(study, pk)
    source, pk, bounds = excerpt.source, excerpt.pk, (excerpt.start, excerpt.end)
    services.excerpt_delete(excerpt=excerpt, actor=request.user)
    return _changed(
        request,
        study,
        source,
        _("Deleted the excerpt %(span)s.") % {"span": _span(*bounds)},
        spans=[bounds],
        removed=[pk],
    )


@study_view(Action.EDIT)
@require_POST
def coding_undo(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk)
    action = services.coding_undo(source=source, actor=request.user)
    if action is None:
        message = _("Nothing to undo.")
    else:
        message = _("Undone: %(action)s.") % {"action": action.get_kind_display()}
    return _done(request, study, source, message)


@study_view(Action.EDIT)
def excerpt_detail(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """GET: the details form (a panel for ``fetch``, else a page). POST: save it."""
    excerpt = _load_excerpt(study, pk)
    form = ExcerptDetailForm(request.POST if request.method == "POST" else None, instance=excerpt, study=study)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.excerpt_update_details(
                excerpt=excerpt,
                actor=request.user,
                memo=data["memo"],
                condensed_meaning=data["condensed_meaning"],
                is_deviant=data["is_deviant"],
                is_counter_finding=data["is_counter_finding"],
                has_identifying_details=data["has_identifying_details"],
                speakers=data["speakers"],
                reset_speakers="reset_speakers" in request.POST,
                corroborates=data["corroborates"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _changed(
                request,
                study,
                excerpt.source,
                _("Saved the excerpt's details."),
                upsert=[excerpt.pk],
                recorded_action=False,
            )
    template = (
        "interviews/coding/excerpt_detail_form.html"
        if _wants_fragment(request)
        else "interviews/coding/excerpt_detail.html"
    )
    context = {"study": study, "excerpt": excerpt, "source": excerpt.source, "form": form}
    return render(request, template, context, status=400 if form.is_bound else 200)


@study_view(Action.EDIT)
@require_GET
def excerpt_corroboration_search(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """Search-as-you-type for the corroboration picker: at most 20 other excerpts whose text or source matches.

    Excerpts already linked are listed in the form itself and left out here.
    """
    excerpt = _load_excerpt(study, pk)
    query = " ".join(request.GET.get("q", "").split())[:200]
    results: list[tuple[int, str]] = []
    if len(query) >= 2:
        found = (
            Excerpt.objects.filter(study=study)
            .filter(Q(text__icontains=query) | Q(source__title__icontains=query))
            .exclude(pk=excerpt.pk)
            .exclude(pk__in=excerpt.corroborates.values("pk"))
        )
        results = [(other.pk, excerpt_label(other)) for other in corroboration_choices(found)[:CORROBORATION_RESULTS]]
    context = {"results": results, "query": query, "limit": CORROBORATION_RESULTS}
    return render(request, "interviews/coding/partials/corroboration_results.html", context)
