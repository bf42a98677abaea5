"""The data-lifecycle page, its setting, and the re-identification check with its term list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cases.forms.lifecycle import LifecycleSettingsForm, SensitiveTermForm, SiteRealNameForm
from cases.models import SensitiveTerm, Site, Study
from cases.permissions import Action, get_object_in_study
from cases.selectors_lifecycle import letter_promises, lifecycle_events, lifecycle_plan, withdrawals
from cases.services import lifecycle as lifecycle_services
from cases.services import reidentification as reid_services

from .base import add_service_errors, study_view


@study_view()
@never_cache
def data_lifecycle(request: HttpRequest, study: Study) -> HttpResponse:
    today = timezone.localdate()
    done = study.end_action_done_at is not None
    events = list(lifecycle_events(study)[:50])
    for event in events:
        event.count_rows = lifecycle_services.describe_counts(
            {k: v for k, v in event.data.items() if isinstance(v, int)}
        )
    return render(
        request,
        "cases/lifecycle/data_lifecycle.html",
        {
            "study": study,
            "plan": lifecycle_plan(study, today=today),
            "promises": letter_promises(study, today=today),
            "preview": []
            if done
            else lifecycle_services.describe_counts(lifecycle_services.end_action_preview(study=study)),
            "events": events,
            "withdrawals": withdrawals(study)[:50],
            "end_action_label": Study.EndAction(study.end_action).label,
            "end_action_due": lifecycle_services.end_action_due(study, today=today),
        },
    )


@study_view(Action.MANAGE_SETTINGS)
def lifecycle_settings(request: HttpRequest, study: Study) -> HttpResponse:
    form = LifecycleSettingsForm(request.POST or None, initial={"end_action": study.end_action})
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle_services.study_end_action_set(
                study=study, actor=request.user, end_action=form.cleaned_data["end_action"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The end action is saved."))
            return redirect("data_lifecycle", study.pk)
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": _("At the project end date"),
            "intro": _(
                "Anonymising deletes the key list, real site names, sensitive terms and signed consent forms, marks "
                "recordings deleted and clears identifying fields. Deleting removes the study's research data and "
                "keeps only the study plan, codebook, approvals and the audit trail."
            ),
            "cancel_url": reverse("data_lifecycle", args=[study.pk]),
        },
        status=400 if form.is_bound else 200,
    )


# Re-identification --------------------------------------------------------------------------------------------------


@study_view(Action.VIEW_KEY_LIST)
@never_cache
def reidentification_check(request: HttpRequest, study: Study) -> HttpResponse:
    from interviews.models import Excerpt

    warnings = reid_services.reidentification_check(study=study, actor=request.user)
    excerpt_ids = {w.key for w in warnings if w.in_text}
    sources = dict(Excerpt.objects.filter(study=study, pk__in=excerpt_ids).values_list("pk", "source_id"))
    rows = [
        {
            "warning": w,
            "url": (
                reverse("coding_view", args=[study.pk, sources[w.key]]) + f"#excerpt-{w.key}"
                if w.in_text and w.key in sources
                else ""
            ),
        }
        for w in warnings
    ]
    return render(
        request,
        "cases/lifecycle/reidentification.html",
        {
            "study": study,
            "text_rows": [row for row in rows if row["warning"].in_text],
            "structural_rows": [row for row in rows if not row["warning"].in_text],
            "terms": reid_services.sensitive_term_list(study=study, actor=request.user),
            "sites": Site.objects.filter(study=study).order_by("pseudonym"),
            "term_form": SensitiveTermForm(),
        },
    )


@study_view(Action.EDIT_KEY_LIST)
def sensitive_term_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = SensitiveTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reid_services.sensitive_term_create(study=study, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Term added. The check now warns when a text contains it."))
            return redirect("reidentification_check", study.pk)
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": _("Add a sensitive term"),
            "intro": _("Terms are stored encrypted, like the key list."),
            "cancel_url": reverse("reidentification_check", args=[study.pk]),
        },
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT_KEY_LIST)
def sensitive_term_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    term = get_object_in_study(SensitiveTerm, study, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reid_services.sensitive_term_delete(term=term, actor=request.user)
    messages.success(request, _("Term removed."))
    return redirect("reidentification_check", study.pk)


@study_view(Action.EDIT_KEY_LIST)
@never_cache
def site_real_name_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    site = get_object_in_study(Site, study, pk)
    if request.method == "POST":
        form = SiteRealNameForm(request.POST)
        if form.is_valid():
            try:
                reid_services.site_real_name_update(site=site, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Real name of %(site)s saved.") % {"site": site.pseudonym})
                return redirect("reidentification_check", study.pk)
    else:
        form = SiteRealNameForm(initial={"real_name": reid_services.site_real_name_read(site=site, actor=request.user)})
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": _("Real name of %(site)s") % {"site": site.pseudonym},
            "intro": _(
                "The real name never appears in the product; the re-identification check warns when a text uses it."
            ),
            "cancel_url": reverse("reidentification_check", args=[study.pk]),
        },
        status=400 if form.is_bound else 200,
    )
