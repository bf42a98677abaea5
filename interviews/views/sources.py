"""Sources: the list, import, metadata, speaker mapping, normalisation before coding and new versions after."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Informant, Study
from cases.permissions import Action, get_object_in_study
from cases.views.base import add_service_errors, study_view
from interviews import selectors_sources as selectors
from interviews.forms.sources import (
    SourceCreateForm,
    SourceEditForm,
    SourceFilterForm,
    SourceNewVersionForm,
    SourceNormaliseForm,
    SpeakerMappingForm,
)
from interviews.models import Source
from interviews.services import sources as services


def _load_source(study: Study, pk: int, *, with_text: bool = True) -> Source:
    queryset = Source.objects.select_related("study", "session", "observer")
    if not with_text:
        queryset = queryset.defer("text")
    return get_object_in_study(queryset, study, pk)


def _earlier_version(request: HttpRequest, study: Study, source: Source) -> HttpResponse | None:
    """Old versions are kept for the record only: send the user back to the list."""
    if source.is_current:
        return None
    messages.error(request, _("This is an earlier version of the source; only the current version can be changed."))
    return redirect("source_list", study.pk)


@study_view()
def source_list(request: HttpRequest, study: Study) -> HttpResponse:
    filters = SourceFilterForm(request.GET or None, study=study)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    sources = selectors.source_list(study, kind=chosen.get("kind", ""), session=chosen.get("session"))
    return render(
        request,
        "interviews/sources/source_list.html",
        {
            "study": study,
            "sources": sources,
            "filters": filters,
            "filtered": bool(chosen.get("kind") or chosen.get("session")),
        },
    )


def _form_page(request: HttpRequest, template: str, context: dict, form: Form) -> HttpResponse:
    return render(request, template, {**context, "form": form}, status=400 if form.is_bound else 200)


@study_view(Action.EDIT)
def source_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = SourceCreateForm(request.POST or None, request.FILES or None, study=study)
    if request.method == "POST" and form.is_valid():
        try:
            source = services.source_create(study=study, actor=request.user, imported=form.imported, **form.metadata())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            labels = source.label_count
            if labels:
                messages.success(
                    request,
                    ngettext(
                        "Source imported (%(length)d characters). %(labels)d speaker label was found: say whom it stands for.",
                        "Source imported (%(length)d characters). %(labels)d speaker labels were found: say whom they stand for.",
                        labels,
                    )
                    % {"length": source.length, "labels": labels},
                )
                return redirect("speaker_mapping", study.pk, source.pk)
            messages.success(request, _("Source imported (%(length)d characters).") % {"length": source.length})
            return redirect("source_list", study.pk)
    return _form_page(request, "interviews/sources/source_form.html", {"study": study}, form)


@study_view(Action.EDIT)
def source_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk, with_text=False)
    if response := _earlier_version(request, study, source):
        return response
    form = SourceEditForm(request.POST or None, instance=Source.objects.defer("text").get(pk=source.pk), study=study)
    if request.method == "POST" and form.is_valid():
        try:
            services.source_update(
                source=source,
                actor=request.user,
                data={name: form.cleaned_data[name] for name in services.METADATA_FIELDS},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("source_list", study.pk)
    return _form_page(request, "interviews/sources/source_edit.html", {"study": study, "source": source}, form)


@study_view(Action.EDIT)
def source_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk, with_text=False)
    if request.method != "POST":
        # Checked after the object is loaded, so a foreign source answers 404 to every method.
        return HttpResponseNotAllowed(["POST"])
    try:
        services.source_delete(source=source, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Source “%(title)s” deleted.") % {"title": source.title})
    return redirect("source_list", study.pk)


@study_view(Action.EDIT)
def speaker_mapping(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk, with_text=False)
    if response := _earlier_version(request, study, source):
        return response
    labels = list(source.speaker_labels.select_related("informant").order_by("label"))
    informants = list(Informant.objects.filter(study=study).select_related("group").order_by("code"))
    form = SpeakerMappingForm(request.POST or None, labels=labels, informants=informants)
    if request.method == "POST" and form.is_valid():
        try:
            derived = services.speaker_mapping_save(
                source=source,
                actor=request.user,
                mappings=[services.LabelMapping(label, role, informant) for label, role, informant in form.mappings()],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Speakers saved; %(count)d excerpt now has its speakers from the turns.",
                    "Speakers saved; %(count)d excerpts now have their speakers from the turns.",
                    derived,
                )
                % {"count": derived},
            )
            return redirect("source_list", study.pk)
    turn_counts = dict(source.turns.order_by().values_list("speaker_id").annotate(count=Count("pk")))
    return _form_page(
        request,
        "interviews/sources/speaker_mapping.html",
        {
            "study": study,
            "source": source,
            "rows": [(label, field, turn_counts.get(label.pk, 0)) for label, field in form.rows()],
            "has_informants": bool(informants),
        },
        form,
    )


@study_view(Action.EDIT)
def source_normalise(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk)
    if response := _earlier_version(request, study, source):
        return response
    excerpt_count = source.excerpts.count()
    context = {
        "study": study,
        "source": source,
        "excerpt_count": excerpt_count,
        "edits": source.edits.select_related("actor"),
    }
    if excerpt_count:
        # Coded text is fixed: the page explains and points to a new version; a POST changes nothing.
        status = 400 if request.method == "POST" else 200
        if request.method == "POST":
            messages.error(
                request, _("The source has coded excerpts, so its text is fixed. Make a new version to correct it.")
            )
        return render(request, "interviews/sources/source_normalise.html", context, status=status)
    form = SourceNormaliseForm(request.POST or None, initial={"text": source.text})
    if request.method == "POST" and form.is_valid():
        try:
            edit = services.source_normalise(
                source=source,
                actor=request.user,
                text=form.cleaned_data["text"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Edit saved (%(before)d → %(after)d characters).")
                % {"before": edit.length_before, "after": edit.length_after},
            )
            return redirect("source_normalise", study.pk, source.pk)
    return _form_page(request, "interviews/sources/source_normalise.html", context, form)


@study_view(Action.EDIT)
def source_new_version(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    source = _load_source(study, pk)
    if response := _earlier_version(request, study, source):
        return response
    form = SourceNewVersionForm(request.POST or None, request.FILES or None, initial={"pasted": source.text})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.source_new_version(source=source, actor=request.user, imported=form.imported)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Version %(version)d saved; %(count)d excerpt moved to it.",
                    "Version %(version)d saved; %(count)d excerpts moved to it.",
                    result.moved,
                )
                % {"version": result.source.version, "count": result.moved},
            )
            if result.needs_reanchor:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d excerpt's text is no longer in the source: it is flagged for you to re-anchor in the coding view.",
                        "%(count)d excerpts' text is no longer in the source: they are flagged for you to re-anchor in the coding view.",
                        result.needs_reanchor,
                    )
                    % {"count": result.needs_reanchor},
                )
            return redirect("source_list", study.pk)
    return _form_page(
        request,
        "interviews/sources/source_new_version.html",
        {
            "study": study,
            "source": source,
            "excerpt_count": source.excerpts.count(),
            "coding_path": _coding_path(study, source),
        },
        form,
    )


def _coding_path(study: Study, source: Source) -> str:
    # The coding view belongs to another module; its path is fixed, so no dependency on its URL name.
    return f"/studies/{study.pk}/sources/{source.pk}/code/"
