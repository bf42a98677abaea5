"""Fieldwork sessions: the list, one session, its attendance table and its recordings."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cases.models import Questionnaire, QuestionnaireVersion, Study
from cases.permissions import Action, get_object_in_study
from cases.views.base import add_service_errors, study_view
from interviews import selectors
from interviews import selectors_comments as comment_threads
from interviews.forms.fieldwork import AttendanceFormSet, RecordingForm, SessionFilterForm, SessionForm
from interviews.models import Attendance, Recording, Session, Source
from interviews.services import fieldwork as services


@study_view()
def session_list(request: HttpRequest, study: Study) -> HttpResponse:
    filters = SessionFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    sessions = selectors.session_list(study, kind=chosen.get("kind", ""), status=chosen.get("status", ""))
    return render(
        request,
        "interviews/session_list.html",
        {
            "study": study,
            "sessions": sessions,
            "filters": filters,
            "filtered": bool(chosen.get("kind") or chosen.get("status")),
        },
    )


def _load_session(study: Study, pk: int) -> Session:
    return get_object_in_study(
        Session.objects.select_related("study", "site", "moderator", "guide_version__instrument", "agenda"), study, pk
    )


@study_view()
def session_detail(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    attendances = list(session.attendances.select_related("informant__group", "informant__site", "substitute_for"))
    came = [a.informant_id for a in attendances if a.status in (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE)]
    return render(
        request,
        "interviews/session_detail.html",
        {
            "study": study,
            "session": session,
            "observers": session.observers.all(),
            "attendances": attendances,
            "sole_informant_id": came[0] if len(came) == 1 else None,
            # Read only for interviews: scale questions asked inside the interview (e.g. "motivation 1–10").
            "in_interview_versions": QuestionnaireVersion.objects.filter(
                questionnaire__study=study, questionnaire__mode=Questionnaire.Mode.IN_INTERVIEW
            ).select_related("questionnaire"),
            "recordings": session.recordings.all(),
            "threads": comment_threads.threads_on(study, session=session),
            # Read only by the observation block of the page, so other kinds of session cost no query.
            "other_attendees": session.other_attendees.all(),
            "agenda_sources": session.sources.filter(kind=Source.Kind.DOCUMENT, is_current=True).only("pk", "title"),
        },
    )


def _session_form_page(request: HttpRequest, study: Study, form: SessionForm, session: Session | None) -> HttpResponse:
    cancel = (
        reverse("session_detail", args=[study.pk, session.pk]) if session else reverse("session_list", args=[study.pk])
    )
    return render(
        request,
        "interviews/session_form.html",
        {
            "study": study,
            "form": form,
            "session": session,
            "cancel_url": cancel,
        },
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def session_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = SessionForm(request.POST or None, instance=Session(study=study), study=study)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(
                study=study, actor=request.user, observers=list(form.cleaned_data["observers"]), **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Session %(code)s saved. Record who was invited next.") % {"code": session.code}
            )
            return redirect("session_detail", study.pk, session.pk)
    return _session_form_page(request, study, form, None)


@study_view(Action.EDIT)
def session_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    # The form works on a copy so the service sees the unchanged session and audits what changed.
    form = SessionForm(request.POST or None, instance=copy.deepcopy(session), study=study)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(
                session=session,
                actor=request.user,
                data=form.service_fields(),
                observers=list(form.cleaned_data["observers"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("session_detail", study.pk, session.pk)
    return _session_form_page(request, study, form, session)


@study_view(Action.EDIT)
def attendance_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    informants = selectors.informants_with_consent_state(study)
    existing = {a.informant_id: a for a in session.attendances.all()}
    initial = [
        {
            "informant": informant.pk,
            "status": existing[informant.pk].status if informant.pk in existing else services.NOT_INVITED,
            "absence_reason": existing[informant.pk].absence_reason if informant.pk in existing else "",
            "substitute_for": existing[informant.pk].substitute_for_id if informant.pk in existing else None,
        }
        for informant in informants
    ]
    formset = AttendanceFormSet(request.POST or None, initial=initial, informants=informants, prefix="attendance")
    status = 200
    if request.method == "POST":
        status = 400
        if formset.is_valid():
            by_pk = {informant.pk: informant for informant in informants}
            rows = [
                services.AttendanceRow(
                    informant=by_pk[row["informant"]],
                    status=row["status"],
                    absence_reason=row["absence_reason"],
                    substitute_for=by_pk.get(row["substitute_for"]) if row["substitute_for"] else None,
                )
                for row in formset.cleaned_data
            ]
            try:
                warnings = services.attendance_set_many(session=session, actor=request.user, rows=rows)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                for warning in warnings:
                    messages.warning(request, _("Saved, but note: %(problem)s") % {"problem": warning})
                messages.success(request, _("Attendance saved."))
                return redirect("session_detail", study.pk, session.pk)
        else:
            messages.error(request, _("Nothing was saved. Correct the marked rows."))
    return render(
        request,
        "interviews/attendance_form.html",
        {
            "study": study,
            "session": session,
            "formset": formset,
            "rows": list(zip(formset.forms, informants, strict=False)),
        },
        status=status,
    )


def _recording_page(
    request: HttpRequest, study: Study, session: Session, form: RecordingForm, title: str
) -> HttpResponse:
    return render(
        request,
        "cases/simple_form.html",
        {
            "study": study,
            "form": form,
            "title": title,
            "intro": _("A recording is personal data: say where it is kept and when it must be deleted."),
            "cancel_url": reverse("session_detail", args=[study.pk, session.pk]),
        },
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def recording_create(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = RecordingForm(request.POST or None, instance=Recording(session=session))
    if request.method == "POST" and form.is_valid():
        try:
            services.recording_create(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Recording added."))
            return redirect("session_detail", study.pk, session.pk)
    return _recording_page(request, study, session, form, _("Add a recording to %(code)s") % {"code": session.code})


@study_view(Action.EDIT)
def recording_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    recording = get_object_in_study(
        Recording.objects.select_related("session__study"), study, pk, path="session__study"
    )
    form = RecordingForm(request.POST or None, instance=copy.deepcopy(recording))
    if request.method == "POST" and form.is_valid():
        try:
            services.recording_update(recording=recording, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("session_detail", study.pk, recording.session_id)
    return _recording_page(request, study, recording.session, form, _("Edit recording"))
