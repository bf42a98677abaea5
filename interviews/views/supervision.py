"""The supervision log: meetings, their decisions, and what each decision changed."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Study
from cases.permissions import Action, get_object_in_study
from cases.views.base import post_only, study_view, submit_form
from interviews.forms.supervision import SupervisionDecisionForm, SupervisionMeetingForm
from interviews.models import SupervisionDecision, SupervisionMeeting
from interviews.services import supervision as services

DECISION_IN_STUDY = "meeting__study"


def _meetings(study: Study) -> QuerySet[SupervisionMeeting]:
    decisions = SupervisionDecision.objects.select_related("research_question", "code", "session", "instrument")
    return (
        SupervisionMeeting.objects.filter(study=study)
        .select_related("created_by")
        .prefetch_related(Prefetch("decisions", queryset=decisions), "attendees")
    )


def _form_page(request: HttpRequest, study: Study, form: Form, title: str, **extra: Any) -> HttpResponse:
    context = {"study": study, "form": form, "title": title, "cancel_url": reverse("supervision_list", args=[study.pk])}
    context.update(extra)
    return render(request, "interviews/supervision/form.html", context, status=400 if form.is_bound else 200)


def _back(study: Study, meeting_id: int) -> HttpResponse:
    return redirect(reverse("supervision_list", args=[study.pk]) + f"#meeting-{meeting_id}")


@study_view()
def supervision_list(request: HttpRequest, study: Study) -> HttpResponse:
    meetings = list(_meetings(study))
    open_count = sum(1 for meeting in meetings for decision in meeting.decisions.all() if not decision.is_done)
    return render(
        request,
        "interviews/supervision/list.html",
        {"study": study, "meetings": meetings, "open_count": open_count},
    )


@study_view(Action.EDIT)
def supervision_meeting_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = SupervisionMeetingForm(request.POST or None, study=study)
    saved: list[SupervisionMeeting] = []

    def save() -> None:
        saved.append(services.supervision_meeting_create(study=study, actor=request.user, **form.cleaned_data))

    if submit_form(request, form, save, _("Meeting recorded. Add what was decided.")):
        return redirect("supervision_decision_add", study.pk, saved[0].pk)
    return _form_page(request, study, form, _("Record a supervision meeting"))


@study_view(Action.EDIT)
def supervision_meeting_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    meeting = get_object_in_study(SupervisionMeeting, study, pk)
    form = SupervisionMeetingForm(request.POST or None, study=study, instance=copy.deepcopy(meeting))
    if submit_form(
        request,
        form,
        lambda: services.supervision_meeting_update(meeting=meeting, actor=request.user, data=form.cleaned_data),
        _("Meeting saved."),
    ):
        return _back(study, meeting.pk)
    return _form_page(request, study, form, _("Edit the meeting of %(date)s") % {"date": meeting.held_on})


@study_view(Action.EDIT)
def supervision_meeting_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    meeting = get_object_in_study(SupervisionMeeting, study, pk)
    if request.method != "POST":
        return post_only()
    services.supervision_meeting_delete(meeting=meeting, actor=request.user)
    messages.success(request, _("Meeting deleted with its decisions."))
    return redirect("supervision_list", study.pk)


@study_view(Action.EDIT)
def supervision_decision_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    meeting = get_object_in_study(_meetings(study), study, pk)
    form = SupervisionDecisionForm(request.POST or None, study=study)
    if submit_form(
        request,
        form,
        lambda: services.supervision_decision_add(meeting=meeting, actor=request.user, **form.cleaned_data),
        _("Decision added."),
    ):
        if "another" in request.POST:
            return redirect("supervision_decision_add", study.pk, meeting.pk)
        return _back(study, meeting.pk)
    return render(
        request,
        "interviews/supervision/meeting.html",
        {"study": study, "meeting": meeting, "form": form},
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def supervision_decision_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    decision = get_object_in_study(SupervisionDecision, study, pk, path=DECISION_IN_STUDY)
    form = SupervisionDecisionForm(request.POST or None, study=study, instance=copy.deepcopy(decision))
    if submit_form(
        request,
        form,
        lambda: services.supervision_decision_update(decision=decision, actor=request.user, data=form.cleaned_data),
        _("Decision saved."),
    ):
        return _back(study, decision.meeting_id)
    return _form_page(request, study, form, _("Edit a decision"))


@study_view(Action.EDIT)
def supervision_decision_toggle(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    decision = get_object_in_study(SupervisionDecision, study, pk, path=DECISION_IN_STUDY)
    if request.method != "POST":
        return post_only()
    services.supervision_decision_toggle_done(decision=decision, actor=request.user)
    return _back(study, decision.meeting_id)


@study_view(Action.EDIT)
def supervision_decision_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    decision = get_object_in_study(SupervisionDecision, study, pk, path=DECISION_IN_STUDY)
    if request.method != "POST":
        return post_only()
    services.supervision_decision_delete(decision=decision, actor=request.user)
    messages.success(request, _("Decision deleted."))
    return _back(study, decision.meeting_id)
