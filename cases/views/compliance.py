"""Approvals, information letters, consent and the permission-checked file download."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.forms.compliance import ApprovalForm, ConsentForm, ConsentWithdrawForm, InformationLetterForm
from cases.models import Approval, ApprovalCondition, ConsentRecord, Informant, InformationLetter, StoredFile, Study
from cases.permissions import Action, get_object_in_study
from cases.selectors import informant_list, informants_without_consent, latest_consent_subquery
from cases.services import approvals as approval_services
from cases.services import consent as consent_services
from cases.services.files import stored_file_open

from .base import add_service_errors, study_view

STATE_BADGES = {
    Approval.State.PLANNED: "text-bg-secondary",
    Approval.State.SUBMITTED: "text-bg-info",
    Approval.State.APPROVED: "text-bg-success",
    Approval.State.NOT_SUBJECT: "text-bg-success",
    Approval.State.CHANGES_REQUESTED: "text-bg-warning",
    Approval.State.REJECTED: "text-bg-danger",
    Approval.State.EXPIRED: "text-bg-dark",
}
CONSENT_BADGES = {
    "missing": "text-bg-danger",
    ConsentRecord.State.PENDING: "text-bg-warning",
    ConsentRecord.State.GIVEN: "text-bg-success",
    ConsentRecord.State.WITHDRAWN: "text-bg-dark",
}
SCOPES = ("interview", "recording", "observation", "quotes")
T = TypeVar("T")


# Approvals -----------------------------------------------------------------


@study_view()
def approval_list(request: HttpRequest, study: Study) -> HttpResponse:
    approvals = list(
        Approval.objects.filter(study=study)
        .select_related("site", "letter")
        .prefetch_related(Prefetch("conditions", queryset=ApprovalCondition.objects.order_by("position", "id")))
    )
    # Sikt first, then the organisation, the gatekeepers and the rest: the order the work is gated in.
    kind_order = {kind: position for position, kind in enumerate(Approval.Kind.values)}
    approvals.sort(key=lambda approval: (kind_order.get(approval.kind, len(kind_order)), approval.pk))
    for approval in approvals:
        approval.badge_class = STATE_BADGES.get(approval.state, "text-bg-secondary")
        approval.open_conditions = sum(not c.is_met for c in approval.conditions.all())
    has_sikt = any(a.kind == Approval.Kind.SIKT for a in approvals)
    return render(
        request,
        "cases/compliance/approval_list.html",
        {
            "study": study,
            "approvals": approvals,
            "has_sikt": has_sikt,
            "kinds": Approval.Kind.choices,
        },
    )


def _submitted(request: HttpRequest, form: Form, save: Callable[[], T]) -> T | None:
    """Validate a posted form and call one service; its errors land on the form. The service's result, or None."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def _form_page(
    request: HttpRequest,
    study: Study,
    form: Form,
    *,
    title: str,
    intro: str,
    attached: StoredFile | None,
    cancel_url: str,
) -> HttpResponse:
    """The add/edit page of a record with an uploaded PDF; 400 when a posted form comes back."""
    return render(
        request,
        "cases/compliance/upload_form.html",
        {"study": study, "form": form, "title": title, "intro": intro, "attached": attached, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


APPROVAL_INTRO = gettext_lazy(
    "Record the approval as soon as you send it, and update its state when the answer comes. If Sikt answers that "
    "the project is not subject to notification, choose that state: it clears the study as an approval does."
)


@study_view(Action.EDIT)
def approval_create(request: HttpRequest, study: Study) -> HttpResponse:
    initial = {}
    kind = request.GET.get("kind", "")
    if kind in Approval.Kind.values:
        initial["kind"] = kind
        if kind == Approval.Kind.SIKT:
            initial["authority"] = "Sikt"
    form = ApprovalForm(
        request.POST or None, request.FILES or None, study=study, initial=initial, instance=Approval(study=study)
    )
    approval = _submitted(
        request,
        form,
        lambda: approval_services.approval_create(
            study=study,
            actor=request.user,
            letter=form.cleaned_data["letter_upload"],
            conditions=form.cleaned_data["conditions_text"],
            **form.service_fields(),
        ),
    )
    if approval is not None:
        messages.success(request, _("%(kind)s recorded.") % {"kind": approval.get_kind_display()})
        return redirect(f"{reverse('approval_list', args=[study.pk])}#approval-{approval.pk}")
    return _form_page(
        request,
        study,
        form,
        title=_("Record an approval"),
        intro=APPROVAL_INTRO,
        attached=None,
        cancel_url=reverse("approval_list", args=[study.pk]),
    )


@study_view(Action.EDIT)
def approval_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    approval = get_object_in_study(Approval.objects.select_related("letter"), study, pk)
    # The form fills in its own copy, so the service still sees the values before the change.
    form = ApprovalForm(request.POST or None, request.FILES or None, study=study, instance=copy.copy(approval))
    saved = _submitted(
        request,
        form,
        lambda: approval_services.approval_update(
            approval=approval,
            actor=request.user,
            data=form.service_fields(),
            letter=form.cleaned_data["letter_upload"],
            conditions=form.cleaned_data["conditions_text"],
        ),
    )
    if saved is not None:
        messages.success(request, _("Saved."))
        return redirect(f"{reverse('approval_list', args=[study.pk])}#approval-{approval.pk}")
    return _form_page(
        request,
        study,
        form,
        title=_("Edit approval"),
        intro=APPROVAL_INTRO,
        attached=approval.letter,
        cancel_url=reverse("approval_list", args=[study.pk]),
    )


@study_view(Action.EDIT)
@require_POST
def approval_condition_toggle(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    condition = get_object_in_study(
        ApprovalCondition.objects.select_related("approval__study"), study, pk, path="approval__study"
    )
    # An explicit value makes a repeated click harmless; without one the tick flips.
    requested = request.POST.get("is_met")
    is_met = requested == "1" if requested in ("0", "1") else not condition.is_met
    approval_services.approval_condition_set(condition=condition, actor=request.user, is_met=is_met)
    return redirect(f"{reverse('approval_list', args=[study.pk])}#approval-{condition.approval_id}")


# Files ----------------------------------------------------------------------


@study_view()
def file_download(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    stored_file = get_object_in_study(StoredFile.objects.select_related("study"), study, pk)
    # Checked after the lookup, so a foreign file is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        handle = stored_file_open(stored_file=stored_file, actor=request.user)
    except FileNotFoundError as error:
        raise Http404("The file is no longer stored.") from error
    response = FileResponse(
        handle, as_attachment=True, filename=stored_file.original_name, content_type=stored_file.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# Consent --------------------------------------------------------------------


@dataclass
class ConsentRow:
    """One informant on the consent page: their current consent, read from the latest record."""

    informant: Informant
    state: str
    state_label: str
    badge_class: str
    mode_label: str
    letter_version: str
    scopes: list[str]


def _consent_rows(study: Study) -> list[ConsentRow]:
    informants = informant_list(study).annotate(
        consent_mode=latest_consent_subquery("mode"),
        consent_letter_version=latest_consent_subquery("letter__version"),
        **{f"current_covers_{scope}": latest_consent_subquery(f"covers_{scope}") for scope in SCOPES},
    )
    scope_labels = {scope: ConsentRecord._meta.get_field(f"covers_{scope}").verbose_name for scope in SCOPES}
    rows = []
    for informant in informants:
        if not informant.consent_count:
            state, label = "missing", _("Missing")
        elif informant.consent_withdrawn_on:
            state, label = ConsentRecord.State.WITHDRAWN, ConsentRecord.State.WITHDRAWN.label
        elif informant.consent_given_on:
            state, label = ConsentRecord.State.GIVEN, ConsentRecord.State.GIVEN.label
        else:
            state, label = ConsentRecord.State.PENDING, ConsentRecord.State.PENDING.label
        rows.append(
            ConsentRow(
                informant=informant,
                state=str(state),
                state_label=str(label),
                badge_class=CONSENT_BADGES[state],
                mode_label=str(ConsentRecord.Mode(informant.consent_mode).label) if informant.consent_mode else "",
                letter_version=informant.consent_letter_version or "",
                scopes=[str(scope_labels[s]) for s in SCOPES if getattr(informant, f"current_covers_{s}")],
            )
        )
    return rows


@study_view()
def consent_list(request: HttpRequest, study: Study) -> HttpResponse:
    return render(
        request,
        "cases/compliance/consent_list.html",
        {
            "study": study,
            "rows": _consent_rows(study),
            "letters": list(study.information_letters.select_related("file")),
            "without_consent": informants_without_consent(study).count(),
        },
    )


LETTER_INTRO = gettext_lazy(
    "Each version of the information letter (informasjonsskriv) gets its own record, so every consent can say which "
    "version the informant read. Note what the letter promised – who has access, where recordings are stored, when "
    "they are deleted – so the study can be checked against it."
)


@study_view(Action.EDIT)
def letter_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = InformationLetterForm(
        request.POST or None, request.FILES or None, study=study, instance=InformationLetter(study=study)
    )
    if _submitted(
        request,
        form,
        lambda: consent_services.information_letter_create(
            study=study, actor=request.user, upload=form.cleaned_data["upload"], **form.service_fields()
        ),
    ):
        messages.success(request, _("Information letter recorded."))
        return redirect("consent_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        title=_("New information letter"),
        intro=LETTER_INTRO,
        attached=None,
        cancel_url=reverse("consent_list", args=[study.pk]),
    )


@study_view(Action.EDIT)
def letter_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    letter = get_object_in_study(InformationLetter.objects.select_related("file"), study, pk)
    form = InformationLetterForm(request.POST or None, request.FILES or None, study=study, instance=copy.copy(letter))
    if _submitted(
        request,
        form,
        lambda: consent_services.information_letter_update(
            letter=letter, actor=request.user, data=form.service_fields(), upload=form.cleaned_data["upload"]
        ),
    ):
        messages.success(request, _("Saved."))
        return redirect("consent_list", study.pk)
    return _form_page(
        request,
        study,
        form,
        title=_("Information letter %(version)s") % {"version": letter.version},
        intro=LETTER_INTRO,
        attached=letter.file,
        cancel_url=reverse("consent_list", args=[study.pk]),
    )


def _consent_history_page(
    request, study: Study, informant: Informant, withdraw_form: ConsentWithdrawForm, status: int = 200
):
    records = list(informant.consents.select_related("letter", "recorded_by", "form").order_by("-recorded_at", "-id"))
    return render(
        request,
        "cases/compliance/consent_history.html",
        {
            "study": study,
            "informant": informant,
            "records": records,
            "withdraw_form": withdraw_form,
            "current": records[0] if records else None,
        },
        status=status,
    )


@study_view()
def consent_history(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = get_object_in_study(Informant, study, pk)
    return _consent_history_page(request, study, informant, ConsentWithdrawForm())


@study_view(Action.EDIT)
def consent_record(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = get_object_in_study(Informant, study, pk)
    current = consent_services.consent_current(informant)
    initial = {}
    if current is not None:
        # The new version starts from the current one: usually only a date or the scope changes.
        initial = {name: getattr(current, name) for name in ConsentForm.Meta.fields if name not in ("letter", "notes")}
        initial["letter"] = current.letter_id
    form = ConsentForm(
        request.POST or None,
        request.FILES or None,
        study=study,
        initial=initial,
        instance=ConsentRecord(informant=informant, recorded_by=request.user),
    )
    if _submitted(
        request,
        form,
        lambda: consent_services.consent_record(
            informant=informant,
            actor=request.user,
            signed_form=form.cleaned_data["signed_form"],
            **form.service_fields(),
        ),
    ):
        messages.success(request, _("Consent for %(code)s recorded.") % {"code": informant.code})
        return redirect("consent_list", study.pk)
    return render(
        request,
        "cases/compliance/consent_form.html",
        {
            "study": study,
            "informant": informant,
            "form": form,
            "current": current,
            "cancel_url": reverse("consent_list", args=[study.pk]),
        },
        status=400 if request.method == "POST" else 200,
    )


@study_view(Action.EDIT)
@require_POST
def consent_withdraw(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    informant = get_object_in_study(Informant, study, pk)
    form = ConsentWithdrawForm(request.POST)
    if _submitted(
        request,
        form,
        lambda: consent_services.consent_withdraw(
            informant=informant, actor=request.user, withdrawn_on=form.cleaned_data["withdrawn_on"]
        ),
    ):
        messages.success(
            request, _("%(code)s has withdrawn their consent. The withdrawal is recorded.") % {"code": informant.code}
        )
        return redirect("consent_history", study.pk, informant.pk)
    return _consent_history_page(request, study, informant, form, status=400)
