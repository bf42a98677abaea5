"""Home, studies, research questions, members, invitations, account, audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.forms.studies import (
    AccountForm,
    InvitationForm,
    ResearchQuestionForm,
    SignupForm,
    StudyForm,
    StudySettingsForm,
)
from cases.models import Invitation, Membership, ResearchQuestion, User
from cases.permissions import Action, get_object_in_study
from cases.selectors import study_list_for, study_overview
from cases.selectors_audit import AREAS, audit_timeline_page
from cases.services import studies as services
from interviews.selectors_waiting import with_waiting_review

from .base import add_service_errors, study_view


@login_required
def home(request: HttpRequest) -> HttpResponse:
    studies = list(with_waiting_review(study_list_for(request.user), request.user))
    for study in studies:
        study.my_role_label = Membership.Role(study.my_role).label
        study.is_supervisor = study.my_role == Membership.Role.SUPERVISOR
    return render(request, "cases/home.html", {"studies": studies})


@login_required
def study_create(request: HttpRequest) -> HttpResponse:
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            study = services.study_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The study is created. Add your research questions next."))
            return redirect("study_detail", study.pk)
    return render(request, "cases/study_form.html", {"form": form, "creating": True})


@study_view()
def study_overview_view(request: HttpRequest, study) -> HttpResponse:
    checks = study_overview(study)
    return render(request, "cases/study_overview.html", {"study": study, "checks": checks})


@study_view()
def study_detail(request: HttpRequest, study) -> HttpResponse:
    return render(request, "cases/study_detail.html", {
        "study": study,
        "research_questions": study.research_questions.all(),
        "rq_form": ResearchQuestionForm(initial={"label": f"RQ{study.research_questions.count() + 1}"}),
    })


@study_view(Action.EDIT)
def study_edit(request: HttpRequest, study) -> HttpResponse:
    form = StudyForm(request.POST or None, instance=study)
    if request.method == "POST" and form.is_valid():
        try:
            services.study_update(study=study, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("study_detail", study.pk)
    return render(request, "cases/study_form.html", {"study": study, "form": form})


@study_view(Action.MANAGE_SETTINGS)
def study_settings(request: HttpRequest, study) -> HttpResponse:
    form = StudySettingsForm(request.POST or None, instance=study)
    if request.method == "POST" and form.is_valid():
        services.study_update(study=study, actor=request.user, data=form.cleaned_data)
        messages.success(request, _("Data-protection settings saved."))
        return redirect("study_detail", study.pk)
    return render(request, "cases/study_settings.html", {"study": study, "form": form})


@study_view(Action.EDIT)
@require_POST
def rq_create(request: HttpRequest, study) -> HttpResponse:
    form = ResearchQuestionForm(request.POST)
    if form.is_valid():
        try:
            services.research_question_create(study=study, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Research question added."))
            return redirect("study_detail", study.pk)
    return render(request, "cases/study_detail.html", {
        "study": study, "research_questions": study.research_questions.all(), "rq_form": form,
    }, status=400)


@study_view(Action.EDIT)
def rq_edit(request: HttpRequest, study, pk: int) -> HttpResponse:
    question = get_object_in_study(ResearchQuestion, study, pk)
    form = ResearchQuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.research_question_update(question=question, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("study_detail", study.pk)
    return render(request, "cases/simple_form.html", {"study": study, "form": form, "title": _("Edit research question"),
                                                      "cancel_url": reverse("study_detail", args=[study.pk])})


@study_view(Action.EDIT)
@require_POST
def rq_move(request: HttpRequest, study, pk: int) -> HttpResponse:
    question = get_object_in_study(ResearchQuestion, study, pk)
    services.research_question_move(question=question, actor=request.user, offset=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("study_detail", study.pk)


@study_view(Action.EDIT)
@require_POST
def rq_delete(request: HttpRequest, study, pk: int) -> HttpResponse:
    question = get_object_in_study(ResearchQuestion, study, pk)
    services.research_question_delete(question=question, actor=request.user)
    messages.success(request, _("Research question deleted."))
    return redirect("study_detail", study.pk)


@study_view()
def member_list(request: HttpRequest, study) -> HttpResponse:
    memberships = study.memberships.select_related("user")
    invitations = [i for i in study.invitations.select_related("invited_by") if i.is_open]
    return render(request, "cases/member_list.html", {
        "study": study, "memberships": memberships, "invitations": invitations, "form": InvitationForm(),
    })


@study_view(Action.MANAGE_MEMBERS)
@require_POST
def invitation_create(request: HttpRequest, study) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                study=study, actor=request.user, email=form.cleaned_data["email"], role=form.cleaned_data["role"],
                accept_url_builder=lambda token: request.build_absolute_uri(reverse("invitation_accept", args=[token])),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("member_list", study.pk)
    memberships = study.memberships.select_related("user")
    invitations = [i for i in study.invitations.all() if i.is_open]
    return render(request, "cases/member_list.html", {
        "study": study, "memberships": memberships, "invitations": invitations, "form": form,
    }, status=400)


@study_view(Action.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request: HttpRequest, study, pk: int) -> HttpResponse:
    invitation = get_object_in_study(Invitation, study, pk)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("member_list", study.pk)


@study_view(Action.MANAGE_MEMBERS)
@require_POST
def member_remove(request: HttpRequest, study, pk: int) -> HttpResponse:
    membership = get_object_in_study(Membership, study, pk)
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s no longer has access to the study.") % {"name": membership.user.display_name})
    return redirect("member_list", study.pk)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: log in (or create an account for the invited address) and join."""
    invitation = Invitation.objects.select_related("study", "invited_by").filter(token=token).first()
    if invitation is None or not invitation.is_open:
        return render(request, "cases/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(token=token, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("home")
            messages.success(request, _("Welcome to “%(title)s”.") % {"title": invitation.study.title})
            return redirect("study_overview", invitation.study_id)
        return render(request, "cases/invitation_accept.html", {"invitation": invitation})
    if existing is not None:
        messages.info(request, _("Log in as %(email)s to accept the invitation.") % {"email": invitation.email})
        return redirect(f"{reverse('login')}?next={request.path}")
    form = SignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = User.objects.create_user(email=invitation.email, password=form.cleaned_data["password1"],
                                            full_name=form.cleaned_data["full_name"])
            services.invitation_accept(token=token, user=user)
        login(request, user, backend="config.auth.ModelBackend")
        messages.success(request, _("Welcome to “%(title)s”.") % {"title": invitation.study.title})
        return redirect("study_overview", invitation.study_id)
    return render(request, "cases/invitation_signup.html", {"invitation": invitation, "form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("account")
    return render(request, "cases/account.html", {"form": form})


@study_view(Action.VIEW_AUDIT)
def audit_log(request: HttpRequest, study) -> HttpResponse:
    area = request.GET.get("area", "")
    if area not in AREAS:
        area = ""
    page = audit_timeline_page(study, area=area, page_number=request.GET.get("page"))
    return render(request, "cases/audit_log.html", {"study": study, "page": page, "area": area, "areas": AREAS})
