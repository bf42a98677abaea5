"""Sites, informant groups, attributes, informants, the CSV import and the key list."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from cases.forms.people import (
    AttributeDefinitionForm,
    IdentityForm,
    InformantFilterForm,
    InformantForm,
    InformantGroupForm,
    InformantImportForm,
    SiteForm,
)
from cases.models import (
    AttributeDefinition,
    AttributeValue,
    ConsentRecord,
    IdentityRecord,
    Informant,
    InformantGroup,
    Site,
    Study,
)
from cases.permissions import Action, get_object_in_study
from cases.selectors import informant_list as informant_list_selector
from cases.services import informant_import as importer
from cases.services import people as services

from .base import post_only, study_view, submit_form

IMPORT_SESSION_KEY = "informant_import"


def _detached(instance: Any) -> Any:
    """A copy for a ModelForm to fill in, so the service still sees the values before the change (for the audit)."""
    return copy.deepcopy(instance)


def _form_page(
    request: HttpRequest, study: Study, form: Form, title: str, cancel_url: str, intro: str = ""
) -> HttpResponse:
    return render(
        request,
        "cases/simple_form.html",
        {"study": study, "form": form, "title": title, "cancel_url": cancel_url, "intro": intro},
        status=400 if form.is_bound else 200,
    )


# Sites, groups and attributes ---------------------------------------------------------------------------------------


@study_view()
def site_list(request: HttpRequest, study: Study) -> HttpResponse:
    return render(
        request,
        "cases/people/site_list.html",
        {
            "study": study,
            "sites": Site.objects.filter(study=study).annotate(informant_count=Count("informants")),
            "groups": InformantGroup.objects.filter(study=study).annotate(informant_count=Count("informants")),
            "definitions": AttributeDefinition.objects.filter(study=study).annotate(value_count=Count("values")),
        },
    )


@study_view(Action.EDIT)
def site_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = SiteForm(request.POST or None)
    if submit_form(
        request,
        form,
        lambda: services.site_create(study=study, actor=request.user, **form.cleaned_data),
        _("Site added."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        _("Add a site"),
        reverse("site_list", args=[study.pk]),
        _("Use the pseudonym the thesis will print, never the organisation's real name."),
    )


@study_view(Action.EDIT)
def site_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    site = get_object_in_study(Site, study, pk)
    form = SiteForm(request.POST or None, instance=_detached(site))
    if submit_form(
        request,
        form,
        lambda: services.site_update(site=site, actor=request.user, data=form.cleaned_data),
        _("Site saved."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request, study, form, _("Edit site %(name)s") % {"name": site.pseudonym}, reverse("site_list", args=[study.pk])
    )


@study_view(Action.EDIT)
def site_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    site = get_object_in_study(Site, study, pk)
    if request.method != "POST":
        return post_only()
    try:
        services.site_delete(site=site, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Site deleted."))
    return redirect("site_list", study.pk)


@study_view(Action.EDIT)
def group_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = InformantGroupForm(
        request.POST or None, initial={"position": InformantGroup.objects.filter(study=study).count() + 1}
    )
    if submit_form(
        request,
        form,
        lambda: services.group_create(study=study, actor=request.user, **form.cleaned_data),
        _("Group added."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        _("Add an informant group"),
        reverse("site_list", args=[study.pk]),
        _("The label is how the thesis names the group, e.g. Arbeidsgiver or Fokusgruppe 2."),
    )


@study_view(Action.EDIT)
def group_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    group = get_object_in_study(InformantGroup, study, pk)
    form = InformantGroupForm(request.POST or None, instance=_detached(group))
    if submit_form(
        request,
        form,
        lambda: services.group_update(group=group, actor=request.user, data=form.cleaned_data),
        _("Group saved."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request, study, form, _("Edit group %(name)s") % {"name": group.label}, reverse("site_list", args=[study.pk])
    )


@study_view(Action.EDIT)
def group_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    group = get_object_in_study(InformantGroup, study, pk)
    if request.method != "POST":
        return post_only()
    try:
        services.group_delete(group=group, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Group deleted."))
    return redirect("site_list", study.pk)


@study_view(Action.EDIT)
def attribute_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = AttributeDefinitionForm(
        request.POST or None, initial={"position": AttributeDefinition.objects.filter(study=study).count() + 1}
    )
    if submit_form(
        request,
        form,
        lambda: services.attribute_definition_create(study=study, actor=request.user, **form.cleaned_data),
        _("Attribute added. It is now a field on every informant."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        _("Add an informant attribute"),
        reverse("site_list", args=[study.pk]),
        _("An attribute is a typed property you record for every informant, e.g. gender or years of experience."),
    )


@study_view(Action.EDIT)
def attribute_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    definition = get_object_in_study(AttributeDefinition, study, pk)
    form = AttributeDefinitionForm(request.POST or None, instance=_detached(definition))
    if submit_form(
        request,
        form,
        lambda: services.attribute_definition_update(definition=definition, actor=request.user, data=form.cleaned_data),
        _("Attribute saved."),
    ):
        return redirect("site_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        _("Edit attribute %(name)s") % {"name": definition.name},
        reverse("site_list", args=[study.pk]),
    )


@study_view(Action.EDIT)
def attribute_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    definition = get_object_in_study(AttributeDefinition, study, pk)
    if request.method != "POST":
        return post_only()
    count = services.attribute_definition_delete(definition=definition, actor=request.user)
    messages.success(
        request,
        ngettext("Attribute deleted with %(n)d value.", "Attribute deleted with %(n)d values.", count) % {"n": count},
    )
    return redirect("site_list", study.pk)


# Informants ---------------------------------------------------------------------------------------------------------


def _consent_state(informant: Informant) -> tuple[str, str]:
    """The current consent as (label, Bootstrap colour), from the selector's annotations."""
    if informant.consent_withdrawn_on:
        return ConsentRecord.State.WITHDRAWN.label, "danger"
    if informant.consent_given_on:
        return ConsentRecord.State.GIVEN.label, "success"
    if informant.consent_count:
        return ConsentRecord.State.PENDING.label, "warning"
    return _("No consent recorded"), "secondary"


def _decorate(informant: Informant, definitions: list[AttributeDefinition]) -> Informant:
    values = {value.definition_id: value.display for value in informant.attribute_values.all()}
    informant.attribute_cells = [values.get(definition.pk, "") for definition in definitions]
    informant.consent_label, informant.consent_colour = _consent_state(informant)
    return informant


@study_view()
def informant_list(request: HttpRequest, study: Study) -> HttpResponse:
    definitions = list(AttributeDefinition.objects.filter(study=study))
    groups = list(InformantGroup.objects.filter(study=study))
    sites = list(Site.objects.filter(study=study))
    filter_form = InformantFilterForm(request.GET or None, groups=groups, sites=sites)
    filters = filter_form.filters()
    informants = [_decorate(informant, definitions) for informant in informant_list_selector(study).filter(**filters)]
    return render(
        request,
        "cases/people/informant_list.html",
        {
            "study": study,
            "informants": informants,
            "definitions": definitions,
            "filter_form": filter_form,
            "filtered": bool(filters),
            "has_groups": bool(groups),
        },
    )


def _informant_with_attributes():
    return Informant.objects.select_related("group", "site").prefetch_related(
        Prefetch("attribute_values", queryset=AttributeValue.objects.select_related("definition"))
    )


@study_view()
def informant_detail(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = _decorate(get_object_in_study(informant_list_selector(study), study, pk), [])
    definitions = list(AttributeDefinition.objects.filter(study=study))
    values = {value.definition_id: value.display for value in informant.attribute_values.all()}
    attributes = [(definition, values.get(definition.pk, "")) for definition in definitions]
    return render(
        request,
        "cases/people/informant_detail.html",
        {
            "study": study,
            "informant": informant,
            "attributes": attributes,
            "consents": informant.consents.select_related("letter").order_by("-recorded_at", "-id"),
            "attendances": informant.attendances.select_related("session").order_by("session__date", "session__code"),
            # Whether a key-list entry exists is shown only to those who may open it; the entry itself never.
            "has_identity": (
                IdentityRecord.objects.filter(informant=informant).exists()
                if request.study_can[Action.VIEW_KEY_LIST]
                else None
            ),
        },
    )


@study_view(Action.EDIT)
def informant_create(request: HttpRequest, study: Study) -> HttpResponse:
    definitions = list(AttributeDefinition.objects.filter(study=study))
    form = InformantForm(request.POST or None, study=study, definitions=definitions)
    created: list[Informant] = []

    def save() -> None:
        created.append(
            services.informant_create(
                study=study, actor=request.user, attributes=form.attribute_data(), **form.informant_data()
            )
        )

    if submit_form(request, form, save, _("Informant added.")):
        if "add_another" in request.POST:
            return redirect("informant_create", study.pk)
        return redirect("informant_detail", study.pk, created[0].pk)
    return render(
        request,
        "cases/people/informant_form.html",
        {"study": study, "form": form, "creating": True},
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def informant_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = get_object_in_study(_informant_with_attributes(), study, pk)
    definitions = list(AttributeDefinition.objects.filter(study=study))
    form = InformantForm(request.POST or None, instance=_detached(informant), study=study, definitions=definitions)

    def save() -> None:
        services.informant_update(
            informant=informant, actor=request.user, data=form.informant_data(), attributes=form.attribute_data()
        )

    if submit_form(request, form, save, _("Informant saved.")):
        return redirect("informant_detail", study.pk, informant.pk)
    return render(
        request,
        "cases/people/informant_form.html",
        {"study": study, "form": form, "informant": informant},
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def informant_import(request: HttpRequest, study: Study) -> HttpResponse:
    """Step 1 uploads and previews; step 2 (``confirm``) imports the previewed file, all rows or none.

    Between the steps the file's text waits in the session (at most 1 MB); the
    confirm step parses it again, because the study may have changed meanwhile.
    """
    context: dict[str, Any] = {"study": study, "expected_columns": importer.expected_columns(study)}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(IMPORT_SESSION_KEY) or {}
        if pending.get("study") != study.pk:
            messages.error(request, _("The preview has expired. Upload the file again."))
            return redirect("informant_import", study.pk)
        preview = importer.informant_import_parse(study=study, text=pending["text"])
        try:
            informants = importer.informant_import_apply(study=study, actor=request.user, preview=preview)
        except ValidationError as error:
            context.update(
                form=InformantImportForm(),
                preview=preview,
                filename=pending.get("name", ""),
                apply_errors=error.messages,
            )
            request.session.pop(IMPORT_SESSION_KEY, None)
            return render(request, "cases/people/informant_import.html", context, status=400)
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.success(
            request,
            ngettext("%(n)d informant imported.", "%(n)d informants imported.", len(informants))
            % {"n": len(informants)},
        )
        return redirect("informant_list", study.pk)

    form = InformantImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = importer.csv_decode(upload.read())
        except importer.ImportFileError as error:
            form.add_error("file", str(error))
        else:
            preview = importer.informant_import_parse(study=study, text=text)
            for message in preview.errors:
                form.add_error("file", message)
            if not preview.errors:
                if preview.is_valid:
                    request.session[IMPORT_SESSION_KEY] = {"study": study.pk, "text": text, "name": upload.name}
                else:
                    request.session.pop(IMPORT_SESSION_KEY, None)
                context.update(form=InformantImportForm(), preview=preview, filename=upload.name)
                return render(
                    request, "cases/people/informant_import.html", context, status=200 if preview.is_valid else 400
                )
    context["form"] = form
    return render(request, "cases/people/informant_import.html", context, status=400 if form.is_bound else 200)


# The key list -------------------------------------------------------------------------------------------------------


@study_view(Action.VIEW_KEY_LIST)
@never_cache
def key_list(request: HttpRequest, study: Study) -> HttpResponse:
    records = services.identity_list(study=study, actor=request.user)
    without = Informant.objects.filter(study=study, identity__isnull=True).order_by("code")
    return render(request, "cases/people/key_list.html", {"study": study, "records": records, "without": without})


@study_view(Action.EDIT_KEY_LIST)
@never_cache
def identity_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = get_object_in_study(Informant, study, pk)
    if request.method == "POST":
        form = IdentityForm(request.POST)
        saved = _("Key-list entry for %(code)s saved.") % {"code": informant.code}
        if submit_form(
            request,
            form,
            lambda: services.identity_save(informant=informant, actor=request.user, **form.cleaned_data),
            saved,
        ):
            return redirect("key_list", study.pk)
    else:
        record = services.identity_read(informant=informant, actor=request.user, purpose="edit")
        initial = {name: getattr(record, name) for name in IdentityForm.base_fields} if record else {}
        form = IdentityForm(initial=initial)
    return render(
        request,
        "cases/people/identity_form.html",
        {"study": study, "informant": informant, "form": form},
        status=400 if form.is_bound else 200,
    )
