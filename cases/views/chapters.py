"""The chapter-4 composer: list, editor, preview and export. Each write calls one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.chapters.document import build_document
from cases.consent_policy import hides_excluded
from cases.counting import LANGUAGES, describe_rules
from cases.forms.chapters import (
    ChapterForm,
    ExportForm,
    QuoteAddForm,
    QuoteEditForm,
    SectionEditForm,
    SectionForm,
    TableBlockForm,
    TextBlockForm,
    guide_question_label,
    guide_questions_of,
)
from cases.models import Chapter, ChapterBlock, ChapterSection, QuestionnaireVersion, ReportJob, Study
from cases.permissions import Action, get_object_in_study, role_allows
from cases.services import chapters as services
from cases.services.audit import audit_record
from cases.services.reidentification import reidentification_warnings
from interviews.models import Code
from interviews.selectors_analysis import analysed_excerpts

from .base import post_only, study_view

SECTION_PATH = "chapter__study"
BLOCK_PATH = "section__chapter__study"


def _editor_url(study: Study, chapter_id: int, anchor: str = "") -> str:
    url = reverse("chapter_edit", args=[study.pk, chapter_id])
    return f"{url}#{anchor}" if anchor else url


def _load_chapter(study: Study, pk: int) -> Chapter:
    chapter = get_object_in_study(Chapter, study, pk)
    chapter.study = study
    return chapter


def _load_section(study: Study, pk: int) -> ChapterSection:
    section = get_object_in_study(ChapterSection.objects.select_related("chapter"), study, pk, path=SECTION_PATH)
    section.chapter.study = study
    return section


def _load_block(study: Study, pk: int) -> ChapterBlock:
    block = get_object_in_study(
        ChapterBlock.objects.select_related("section__chapter", "excerpt"), study, pk, path=BLOCK_PATH
    )
    block.section.chapter.study = study
    return block


def _refused(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, _("Nothing was saved. %(errors)s") % {"errors": " ".join(error.messages)})


def _form_refused(request: HttpRequest, form) -> None:
    errors = [
        f"{form.fields[f].label if f in form.fields else ''}: {' '.join(e)}".lstrip(": ")
        for f, e in form.errors.items()
    ]
    messages.error(request, _("Nothing was saved. %(errors)s") % {"errors": " ".join(errors)})


# List ----------------------------------------------------------------------------------------------------------------


@study_view()
@never_cache
def chapter_list(request: HttpRequest, study: Study) -> HttpResponse:
    chapters = study.chapters.order_by("number", "pk")
    form = ChapterForm(initial={"title": _("Findings"), "number": "4"})
    return render(request, "cases/chapters/chapter_list.html", {"study": study, "chapters": chapters, "form": form})


@study_view(Action.EDIT)
def chapter_create(request: HttpRequest, study: Study) -> HttpResponse:
    if request.method != "POST":
        return post_only()
    form = ChapterForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect("chapter_list", study.pk)
    data = form.cleaned_data
    try:
        chapter = services.chapter_create(study=study, actor=request.user, **{k: v for k, v in data.items()})
    except ValidationError as error:
        _refused(request, error)
        return redirect("chapter_list", study.pk)
    return redirect("chapter_edit", study.pk, chapter.pk)


# Editor ----------------------------------------------------------------------------------------------------------------


def _choices(study: Study) -> dict[str, Any]:
    """What the editor's per-section forms offer, read once for the page (not once per section)."""
    return {
        "codes": list(Code.objects.filter(study=study).values_list("pk", "name")),
        "research_questions": list(study.research_questions.values_list("pk", "label")),
        "guide_questions": [(q.pk, guide_question_label(q)) for q in guide_questions_of(study)],
        "groups": list(study.groups.order_by("position", "label").values_list("pk", "label")),
        "sites": list(study.sites.order_by("pseudonym").values_list("pk", "pseudonym")),
        "excerpts": [
            (pk, " ".join(text.split())[:110])
            for pk, text in analysed_excerpts(study).order_by("source_id", "start").values_list("pk", "text")
        ],
        "questionnaire_versions": [
            (v.pk, str(v))
            for v in QuestionnaireVersion.objects.filter(questionnaire__study=study).select_related("questionnaire")
        ],
        "datasets": list(study.secondary_datasets.values_list("pk", "title")),
        "feeds": ChapterSection.Feed.choices,
        "tables": ChapterBlock.Table.choices,
        "attributions": ChapterSection._meta.get_field("attribution").choices,
    }


@study_view()
@never_cache
def chapter_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    # A supervisor's views leave out informants without valid consent, as the printed chapter does.
    document = build_document(chapter, for_print=hides_excluded(request.study_role))
    groups = list(study.groups.order_by("position", "label").values_list("pk", flat=True))
    for entry in document.sections:
        chosen = [int(g) for g in entry.section.group_order]
        entry.group_slots = [chosen[i] if i < len(chosen) else None for i in range(len(groups))]
    return render(
        request,
        "cases/chapters/chapter_edit.html",
        {
            "study": study,
            "chapter": chapter,
            "doc": document,
            "settings_form": ChapterForm(instance=chapter),
            "choices": _choices(study),
            "text_help": TextBlockForm.base_fields["text"].help_text,
            "counting_rules": describe_rules(chapter.language if chapter.language in LANGUAGES else "en"),
        },
    )


@study_view(Action.EDIT)
def chapter_settings(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    if request.method != "POST":
        return post_only()
    form = ChapterForm(request.POST, instance=Chapter.objects.get(pk=chapter.pk))
    if not form.is_valid():
        _form_refused(request, form)
        return redirect(_editor_url(study, chapter.pk))
    try:
        services.chapter_update(chapter=chapter, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Chapter settings saved."))
    return redirect(_editor_url(study, chapter.pk))


@study_view(Action.EDIT)
def chapter_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    if request.method != "POST":
        return post_only()
    services.chapter_delete(chapter=chapter, actor=request.user)
    messages.success(request, _("Chapter deleted."))
    return redirect("chapter_list", study.pk)


@study_view(Action.EDIT)
def section_create(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    if request.method != "POST":
        return post_only()
    form = SectionForm(request.POST, chapter=chapter)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect(_editor_url(study, chapter.pk))
    try:
        section = services.section_create(chapter=chapter, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        _refused(request, error)
        return redirect(_editor_url(study, chapter.pk))
    return redirect(_editor_url(study, chapter.pk, f"section-{section.pk}"))


def _section_edit(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    data = request.POST.copy()
    data["group_order"] = ",".join(value for value in request.POST.getlist("group_order") if value)
    form = SectionEditForm(data)
    if form.is_valid():
        try:
            services.section_update(section=section, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(request, error)
    else:
        _form_refused(request, form)
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _section_move(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    if request.POST.get("direction") not in {"up", "down"}:
        return HttpResponseBadRequest(_("Move up or down."))
    services.section_move(section=section, actor=request.user, direction=request.POST["direction"])
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _section_delete(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    services.section_delete(section=section, actor=request.user)
    messages.success(request, _("Section deleted."))
    return redirect(_editor_url(study, section.chapter_id))


def _section_fill(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    added = services.section_fill_quotes(section=section, actor=request.user)
    messages.success(request, _("%(n)d new quotes added at the end.") % {"n": added})
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _section_reorder(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    """Drag and drop: the section's block ids in their new order, comma-separated."""
    raw = [part for part in request.POST.get("order", "").split(",") if part]
    if not raw or not all(part.isdigit() for part in raw):
        return HttpResponseBadRequest(_("The new order must list each of the section's blocks once."))
    try:
        services.block_reorder(section=section, actor=request.user, block_ids=[int(part) for part in raw])
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return HttpResponse(status=204)


def _text_add(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    form = TextBlockForm(request.POST)
    if form.is_valid():
        services.text_block_create(section=section, actor=request.user, text=form.cleaned_data["text"])
    else:
        _form_refused(request, form)
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _quote_add(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    form = QuoteAddForm(request.POST, study=study)
    if form.is_valid():
        try:
            services.quote_add(section=section, actor=request.user, excerpt=form.cleaned_data["excerpt"])
        except ValidationError as error:
            _refused(request, error)
    else:
        _form_refused(request, form)
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _table_add(request: HttpRequest, study: Study, section: ChapterSection) -> HttpResponse:
    form = TableBlockForm(request.POST, study=study)
    if form.is_valid():
        try:
            services.table_block_create(section=section, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _refused(request, error)
    else:
        _form_refused(request, form)
    return redirect(_editor_url(study, section.chapter_id, f"section-{section.pk}"))


def _block_edit(request: HttpRequest, study: Study, block: ChapterBlock) -> HttpResponse:
    """Text of a text block, the shortened form of a quote, or the researcher's cells of a table."""
    try:
        if block.kind == ChapterBlock.Kind.TEXT:
            form = TextBlockForm(request.POST)
            if not form.is_valid():
                _form_refused(request, form)
            else:
                services.text_block_update(block=block, actor=request.user, text=form.cleaned_data["text"])
        elif block.kind == ChapterBlock.Kind.QUOTE:
            form = QuoteEditForm(request.POST)
            if not form.is_valid():
                _form_refused(request, form)
            else:
                services.quote_update(block=block, actor=request.user, print_text=form.cleaned_data["print_text"])
        else:
            cells = {key[5:]: value for key, value in request.POST.items() if key.startswith("cell-")}
            document = build_document(block.section.chapter, for_print=False)
            table = next(
                (item.table for s in document.sections for item in s.items if item.block and item.block.pk == block.pk),
                None,
            )
            allowed = [key for key, _label, _text in table.editable_rows] if table else []
            services.table_cells_update(block=block, actor=request.user, cells=cells, allowed_keys=allowed)
    except ValidationError as error:
        _refused(request, error)
    return redirect(_editor_url(study, block.section.chapter_id, f"block-{block.pk}"))


def _block_exclude(request: HttpRequest, study: Study, block: ChapterBlock) -> HttpResponse:
    try:
        services.quote_update(block=block, actor=request.user, excluded=request.POST.get("excluded") == "1")
    except ValidationError as error:
        _refused(request, error)
    return redirect(_editor_url(study, block.section.chapter_id, f"block-{block.pk}"))


def _block_move(request: HttpRequest, study: Study, block: ChapterBlock) -> HttpResponse:
    if request.POST.get("direction") not in {"up", "down"}:
        return HttpResponseBadRequest(_("Move up or down."))
    services.block_move(block=block, actor=request.user, direction=request.POST["direction"])
    return redirect(_editor_url(study, block.section.chapter_id, f"block-{block.pk}"))


def _block_delete(request: HttpRequest, study: Study, block: ChapterBlock) -> HttpResponse:
    services.block_delete(block=block, actor=request.user)
    return redirect(_editor_url(study, block.section.chapter_id, f"section-{block.section_id}"))


SECTION_ACTIONS = {
    "edit": _section_edit,
    "move": _section_move,
    "delete": _section_delete,
    "fill": _section_fill,
    "reorder": _section_reorder,
    "text": _text_add,
    "quote": _quote_add,
    "table": _table_add,
}
BLOCK_ACTIONS = {"edit": _block_edit, "exclude": _block_exclude, "move": _block_move, "delete": _block_delete}


@study_view(Action.EDIT)
def section_action(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """One URL for what can be done to a section; ``action`` in the POST says what."""
    section = _load_section(study, pk)
    if request.method != "POST":
        return post_only()
    handler = SECTION_ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        return HttpResponseBadRequest(_("Unknown action."))
    return handler(request, study, section)


@study_view(Action.EDIT)
def block_action(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """One URL for what can be done to a block (text, quote or table); ``action`` in the POST says what."""
    block = _load_block(study, pk)
    if request.method != "POST":
        return post_only()
    handler = BLOCK_ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        return HttpResponseBadRequest(_("Unknown action."))
    return handler(request, study, block)


# Preview and export ----------------------------------------------------------------------------------------------------


@study_view()
@require_GET
@never_cache
def chapter_preview(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    document = build_document(chapter, for_print=True)
    return render(request, "cases/chapters/chapter_preview.html", {"study": study, "chapter": chapter, "doc": document})


def _warnings(request: HttpRequest, study: Study, document) -> tuple[list, bool]:
    """Re-identification risks in what the chapter prints; the terms themselves only for readers of the key list."""
    texts: list[tuple[str, str]] = [("title", document.chapter.title)]
    for section in document.sections:
        texts.append((section.number or section.section.title, section.section.title))
        for item in section.items:
            if item.quote is not None:
                texts.append((section.number or section.section.title, item.quote.text))
            elif item.block is not None and item.block.kind == ChapterBlock.Kind.TEXT:
                texts.append((section.number or section.section.title, item.block.text))
    warnings = reidentification_warnings(study=study, texts=texts)
    reveal = role_allows(study, request.study_role, Action.VIEW_KEY_LIST)
    audit_record(
        study=study,
        actor=request.user,
        action="sensitive_terms.viewed",
        label=_("Re-identification check"),
        purpose="chapter_export_gate",
        warnings=len(warnings),
    )
    return warnings, reveal


def _warning_rows(warnings: list, reveal: bool) -> list[dict]:
    """One row per risk and section, with how often it occurs there, in the order first found."""
    rows: dict[tuple, dict] = {}
    for warning in warnings:
        shown = warning.shown(reveal=reveal)
        key = (warning.kind, shown.casefold(), warning.key)
        if key in rows:
            rows[key]["times"] += 1
        else:
            rows[key] = {"warning": warning, "shown": shown, "where": warning.key, "times": 1}
    return list(rows.values())


@study_view(Action.REQUEST_REPORT)
@never_cache
def chapter_export(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    chapter = _load_chapter(study, pk)
    document = build_document(chapter, for_print=True)
    warnings, reveal = _warnings(request, study, document)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.chapter_export_request(
                chapter=chapter,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                acknowledged=form.cleaned_data["acknowledge"],
                warnings=len(warnings),
            )
        except ValidationError as error:
            form.add_error("acknowledge", error.messages)
        else:
            messages.success(request, _("The chapter is being generated. This page shows its progress."))
            return redirect("chapter_export_gate", study.pk, chapter.pk)
    jobs = ReportJob.objects.filter(chapter=chapter).select_related("requested_by").order_by("-requested_at", "-id")
    return render(
        request,
        "cases/chapters/chapter_export.html",
        {
            "study": study,
            "chapter": chapter,
            "doc": document,
            "warnings": _warning_rows(warnings, reveal),
            "form": form,
            "reports": jobs,
        },
    )
