"""Interview and observation guides: the list, one version as a readable guide, and its small edits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, Prefetch
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.forms.instruments import (
    InstrumentEditForm,
    InstrumentForm,
    PromptForm,
    QuestionForm,
    ThemeForm,
    VersionCopyForm,
)
from cases.models import GuidePrompt, GuideQuestion, GuideTheme, Instrument, InstrumentVersion, Study
from cases.permissions import Action, get_object_in_study
from cases.services import instruments as services

from .base import add_service_errors, study_view

THEME_PATH = "version__instrument__study"
QUESTION_PATH = "theme__version__instrument__study"
PROMPT_PATH = "question__theme__version__instrument__study"


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


def _version_url(version_id: int, study: Study, anchor: str = "") -> str:
    url = reverse("instrument_version", args=[study.pk, version_id])
    return f"{url}#{anchor}" if anchor else url


def _report_form_errors(request: HttpRequest, form: Form) -> None:
    """The inline forms on the guide page redirect back; their errors travel as one message."""
    texts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        texts.extend(f"{label}: {error}" if label else str(error) for error in errors)
    messages.error(request, _("Nothing was saved. %(errors)s") % {"errors": " ".join(texts)})


def _load_version(study: Study, pk: int) -> InstrumentVersion:
    return get_object_in_study(
        InstrumentVersion.objects.select_related("instrument__study"), study, pk, path="instrument__study"
    )


def _load_theme(study: Study, pk: int) -> GuideTheme:
    return get_object_in_study(
        GuideTheme.objects.select_related("version__instrument__study"), study, pk, path=THEME_PATH
    )


def _load_question(study: Study, pk: int) -> GuideQuestion:
    return get_object_in_study(
        GuideQuestion.objects.select_related("theme__version__instrument__study"), study, pk, path=QUESTION_PATH
    )


def _load_prompt(study: Study, pk: int) -> GuidePrompt:
    return get_object_in_study(
        GuidePrompt.objects.select_related("question__theme__version__instrument__study"), study, pk, path=PROMPT_PATH
    )


def _post_only(*, loader: Callable[[Study, int], Model]) -> Callable:
    """Load the view's object first, so other studies' objects are 404 for every method, then refuse all but POST."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
            obj = loader(study, pk)
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, study, obj)

        return wrapper

    return decorator


@study_view()
def instrument_list(request: HttpRequest, study: Study) -> HttpResponse:
    versions = InstrumentVersion.objects.annotate(
        theme_count=Count("themes", distinct=True), question_count=Count("themes__questions", distinct=True)
    ).order_by("created_at", "id")
    instruments = Instrument.objects.filter(study=study).prefetch_related(Prefetch("versions", queryset=versions))
    return render(request, "cases/instruments/instrument_list.html", {"study": study, "instruments": instruments})


@study_view(Action.EDIT)
def instrument_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = InstrumentForm(request.POST or None, instance=Instrument(study=study))
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in ("title", "kind", "description")}
        try:
            instrument = services.instrument_create(
                study=study, actor=request.user, first_version_label=form.cleaned_data["first_version_label"], **fields
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Guide created. Add its first theme."))
            return redirect("instrument_version", study.pk, instrument.versions.get().pk)
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": _("New guide"),
            "submit_label": _("Create guide"),
            "intro": _(
                "An interview guide holds themes, questions and prompts; an observation guide holds themes and items "
                "to look for. You can make further versions later, e.g. a short one sent to informants."
            ),
            "cancel_url": reverse("instrument_list", args=[study.pk]),
        },
    )


@study_view(Action.EDIT)
def instrument_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    instrument = get_object_in_study(Instrument, study, pk)
    form = InstrumentEditForm(request.POST or None, instance=copy.deepcopy(instrument))
    if request.method == "POST" and form.is_valid():
        try:
            services.instrument_update(instrument=instrument, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("instrument_list", study.pk)
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": _("Edit guide"),
            "cancel_url": reverse("instrument_list", args=[study.pk]),
        },
    )


@study_view()
def instrument_version(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = get_object_in_study(
        InstrumentVersion.objects.select_related("instrument"), study, pk, path="instrument__study"
    )
    questions = GuideQuestion.objects.select_related("research_question").prefetch_related("prompts")
    themes = list(
        GuideTheme.objects.filter(version=version).prefetch_related(Prefetch("questions", queryset=questions))
    )
    number = 0
    for theme in themes:
        for question in theme.questions.all():
            number += 1
            question.number = number
    return render(
        request,
        "cases/instruments/instrument_version.html",
        {
            "study": study,
            "version": version,
            "instrument": version.instrument,
            "is_observation": version.instrument.kind == Instrument.Kind.OBSERVATION_GUIDE,
            "versions": InstrumentVersion.objects.filter(instrument_id=version.instrument_id).order_by(
                "created_at", "id"
            ),
            "themes": themes,
            "next_question_label": f"Q{number + 1}",
            "research_questions": list(study.research_questions.all()),
            "copy_form": VersionCopyForm(initial={"audience": InstrumentVersion.Audience.INFORMANTS}),
        },
    )


@study_view(Action.EDIT)
@_post_only(loader=_load_version)
def instrument_version_copy(request: HttpRequest, study: Study, version: InstrumentVersion) -> HttpResponse:
    form = VersionCopyForm(request.POST)
    if form.is_valid():
        try:
            new = services.instrument_version_copy(version=version, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(label)s created as a copy of %(source)s.") % {"label": new.label, "source": version.label},
            )
            return redirect("instrument_version", study.pk, new.pk)
    _report_form_errors(request, form)
    return redirect(_version_url(version.pk, study))


@study_view(Action.EDIT)
@_post_only(loader=_load_version)
def guide_theme_add(request: HttpRequest, study: Study, version: InstrumentVersion) -> HttpResponse:
    form = ThemeForm(request.POST, instance=GuideTheme(version=version))
    if form.is_valid():
        theme = services.guide_theme_add(version=version, actor=request.user, title=form.cleaned_data["title"])
        return redirect(_version_url(version.pk, study, f"theme-{theme.pk}"))
    _report_form_errors(request, form)
    return redirect(_version_url(version.pk, study))


def _edit_page(
    request: HttpRequest, study: Study, form: Form, title: str, version_id: int, anchor: str
) -> HttpResponse:
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": title,
            "cancel_url": _version_url(version_id, study, anchor),
        },
    )


@study_view(Action.EDIT)
def guide_theme_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    theme = _load_theme(study, pk)
    form = ThemeForm(request.POST or None, instance=copy.deepcopy(theme))
    if request.method == "POST" and form.is_valid():
        services.guide_theme_update(theme=theme, actor=request.user, data=form.cleaned_data)
        return redirect(_version_url(theme.version_id, study, f"theme-{theme.pk}"))
    return _edit_page(request, study, form, _("Edit theme"), theme.version_id, f"theme-{theme.pk}")


@study_view(Action.EDIT)
@_post_only(loader=_load_theme)
def guide_theme_delete(request: HttpRequest, study: Study, theme: GuideTheme) -> HttpResponse:
    services.guide_theme_delete(theme=theme, actor=request.user)
    messages.success(request, _("Theme deleted with its questions."))
    return redirect(_version_url(theme.version_id, study))


@study_view(Action.EDIT)
@_post_only(loader=_load_theme)
def guide_theme_move(request: HttpRequest, study: Study, theme: GuideTheme) -> HttpResponse:
    services.guide_theme_move(theme=theme, actor=request.user, offset=_offset(request))
    return redirect(_version_url(theme.version_id, study, f"theme-{theme.pk}"))


@study_view(Action.EDIT)
@_post_only(loader=_load_theme)
def guide_question_add(request: HttpRequest, study: Study, theme: GuideTheme) -> HttpResponse:
    form = QuestionForm(request.POST, instance=GuideQuestion(theme=theme), study=study)
    if form.is_valid():
        try:
            question = services.guide_question_add(theme=theme, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(_version_url(theme.version_id, study, f"question-{question.pk}"))
    _report_form_errors(request, form)
    return redirect(_version_url(theme.version_id, study, f"theme-{theme.pk}"))


@study_view(Action.EDIT)
def guide_question_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    question = _load_question(study, pk)
    version_id = question.theme.version_id
    form = QuestionForm(request.POST or None, instance=copy.deepcopy(question), study=study)
    if request.method == "POST" and form.is_valid():
        try:
            services.guide_question_update(question=question, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(_version_url(version_id, study, f"question-{question.pk}"))
    return _edit_page(request, study, form, _("Edit question"), version_id, f"question-{question.pk}")


@study_view(Action.EDIT)
@_post_only(loader=_load_question)
def guide_question_delete(request: HttpRequest, study: Study, question: GuideQuestion) -> HttpResponse:
    services.guide_question_delete(question=question, actor=request.user)
    messages.success(request, _("Question deleted with its prompts."))
    return redirect(_version_url(question.theme.version_id, study, f"theme-{question.theme_id}"))


@study_view(Action.EDIT)
@_post_only(loader=_load_question)
def guide_question_move(request: HttpRequest, study: Study, question: GuideQuestion) -> HttpResponse:
    services.guide_question_move(question=question, actor=request.user, offset=_offset(request))
    return redirect(_version_url(question.theme.version_id, study, f"question-{question.pk}"))


@study_view(Action.EDIT)
@_post_only(loader=_load_question)
def guide_prompt_add(request: HttpRequest, study: Study, question: GuideQuestion) -> HttpResponse:
    form = PromptForm(request.POST, instance=GuidePrompt(question=question))
    if form.is_valid():
        services.guide_prompt_add(question=question, actor=request.user, text=form.cleaned_data["text"])
    else:
        _report_form_errors(request, form)
    return redirect(_version_url(question.theme.version_id, study, f"question-{question.pk}"))


@study_view(Action.EDIT)
def guide_prompt_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    prompt = _load_prompt(study, pk)
    version_id = prompt.question.theme.version_id
    form = PromptForm(request.POST or None, instance=copy.deepcopy(prompt))
    if request.method == "POST" and form.is_valid():
        services.guide_prompt_update(prompt=prompt, actor=request.user, data=form.cleaned_data)
        return redirect(_version_url(version_id, study, f"question-{prompt.question_id}"))
    return _edit_page(request, study, form, _("Edit prompt"), version_id, f"question-{prompt.question_id}")


@study_view(Action.EDIT)
@_post_only(loader=_load_prompt)
def guide_prompt_delete(request: HttpRequest, study: Study, prompt: GuidePrompt) -> HttpResponse:
    services.guide_prompt_delete(prompt=prompt, actor=request.user)
    return redirect(_version_url(prompt.question.theme.version_id, study, f"question-{prompt.question_id}"))


@study_view(Action.EDIT)
@_post_only(loader=_load_prompt)
def guide_prompt_move(request: HttpRequest, study: Study, prompt: GuidePrompt) -> HttpResponse:
    services.guide_prompt_move(prompt=prompt, actor=request.user, offset=_offset(request))
    return redirect(_version_url(prompt.question.theme.version_id, study, f"question-{prompt.question_id}"))
