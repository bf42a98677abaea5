"""Observed meetings: other attendees, agenda, the guide's checklist, typed notes, two observers side by side."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.models import Study, User
from cases.permissions import Action, get_object_in_study
from cases.views.base import add_service_errors, study_view, submit_form
from interviews import selectors_observation as selectors
from interviews.forms.observation import (
    AgendaForm,
    DisagreementForm,
    NotesToSourceForm,
    ObservationNoteForm,
    OtherAttendeeForm,
    ReconciledNotesForm,
    ResolutionForm,
)
from interviews.models import ChecklistTick, FieldNoteDisagreement, ObservationNote, OtherAttendee, Session
from interviews.services import observation as services


def _load_session(study: Study, pk: int) -> Session:
    return get_object_in_study(Session.objects.select_related("study", "guide_version__instrument"), study, pk)


def _back(study: Study, session: Session) -> str:
    return reverse("session_detail", args=[study.pk, session.pk])


def _simple_form(
    request: HttpRequest, study: Study, session: Session, form, title: str, intro: str = ""
) -> HttpResponse:
    return render(
        request,
        "cases/simple_form.html",
        {"study": study, "form": form, "title": title, "intro": intro, "cancel_url": _back(study, session)},
        status=400 if form.is_bound else 200,
    )


@study_view(Action.EDIT)
def other_attendee_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = OtherAttendeeForm(request.POST or None, instance=OtherAttendee(session=session))
    if submit_form(
        request,
        form,
        lambda: services.other_attendee_add(session=session, actor=request.user, **form.cleaned_data),
        _("Saved."),
    ):
        return redirect(_back(study, session))
    return _simple_form(
        request,
        study,
        session,
        form,
        _("Someone else who was there (%(code)s)") % {"code": session.code},
        _("Describe people who are not informants by their role only. Do not write names."),
    )


@study_view(Action.EDIT)
@require_POST
def other_attendee_remove(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    attendee = get_object_in_study(
        OtherAttendee.objects.select_related("session__study"), study, pk, path="session__study"
    )
    services.other_attendee_remove(attendee=attendee, actor=request.user)
    messages.success(request, _("Removed."))
    return redirect(_back(study, attendee.session))


@study_view(Action.EDIT)
def session_agenda(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = AgendaForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if submit_form(
        request,
        form,
        lambda: services.session_agenda_attach(
            session=session, actor=request.user, upload=form.cleaned_data["agenda"], text=form.cleaned_data["text"]
        ),
        _("Agenda attached."),
    ):
        return redirect(_back(study, session))
    return _simple_form(request, study, session, form, _("Agenda of %(code)s") % {"code": session.code})


def _checklist_row(point, tick: ChecklistTick | None, posted) -> dict:
    """What the form shows for one point: the posted values after a refused save, else the stored tick."""
    if posted is not None:
        return {
            "point": point,
            "answer": posted.get(f"answer-{point.pk}", ""),
            "note": posted.get(f"note-{point.pk}", ""),
        }
    return {"point": point, "answer": tick.answer if tick else "", "note": tick.note if tick else ""}


def _checklist_page(request: HttpRequest, study: Study, session: Session, *, posted=None) -> HttpResponse:
    points = services.checklist_points(session)
    ticks_by_point = {tick.question_id: tick for tick in session.checklist_ticks.all()}
    return render(
        request,
        "interviews/observation_checklist.html",
        {
            "study": study,
            "session": session,
            "rows": [_checklist_row(point, ticks_by_point.get(point.pk), posted) for point in points],
            "answers": ChecklistTick.Answer.choices,
        },
        status=400 if posted is not None else 200,
    )


@study_view()
def observation_checklist(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """The meeting's observation guide as a checklist: yes / no / not applicable and a note per point."""
    return _checklist_page(request, study, _load_session(study, pk))


@study_view(Action.EDIT)
@require_POST
def observation_checklist_save(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    ticks = [
        services.TickInput(
            question_id=point.pk,
            answer=request.POST.get(f"answer-{point.pk}", ""),
            note=request.POST.get(f"note-{point.pk}", "")[:500],
        )
        for point in services.checklist_points(session)
    ]
    try:
        services.checklist_save(session=session, actor=request.user, ticks=ticks)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _checklist_page(request, study, session, posted=request.POST)
    messages.success(request, _("Checklist saved."))
    return redirect("observation_checklist", study.pk, session.pk)


def _notes_page(request: HttpRequest, study: Study, session: Session, form: ObservationNoteForm) -> HttpResponse:
    by_observer: dict[int, tuple[User, list[ObservationNote]]] = {}
    for note in session.observation_notes.select_related("observer"):
        by_observer.setdefault(note.observer_id, (note.observer, []))[1].append(note)
    return render(
        request,
        "interviews/observation_notes.html",
        {"study": study, "session": session, "form": form, "by_observer": list(by_observer.values())},
        status=400 if form.is_bound else 200,
    )


@study_view()
def observation_notes(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """Typed notes of the meeting per observer; each observer's notes can become a codable field-notes source."""
    session = _load_session(study, pk)
    form = ObservationNoteForm(study=study, initial={"observer": request.user.pk})
    return _notes_page(request, study, session, form)


@study_view(Action.EDIT)
@require_POST
def observation_note_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = ObservationNoteForm(request.POST, study=study)
    if submit_form(
        request,
        form,
        lambda: services.observation_note_add(session=session, actor=request.user, **form.cleaned_data),
        _("Note added."),
    ):
        return redirect("observation_notes", study.pk, session.pk)
    return _notes_page(request, study, session, form)


@study_view(Action.EDIT)
@require_POST
def observation_note_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    note = get_object_in_study(
        ObservationNote.objects.select_related("session__study"), study, pk, path="session__study"
    )
    services.observation_note_delete(note=note, actor=request.user)
    messages.success(request, _("Note deleted."))
    return redirect("observation_notes", study.pk, note.session_id)


@study_view(Action.EDIT)
@require_POST
def observation_notes_to_source(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = NotesToSourceForm(request.POST)
    observer = (
        User.objects.filter(pk=form.cleaned_data["observer"], memberships__study=study).first()
        if form.is_valid()
        else None
    )
    if observer is None:
        messages.error(request, _("Choose an observer of this study."))
        return redirect("observation_notes", study.pk, session.pk)
    try:
        source = services.observation_notes_to_source(session=session, actor=request.user, observer=observer)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("observation_notes", study.pk, session.pk)
    messages.success(request, _("The notes are now a field-notes source you can code."))
    return redirect("coding_view", study.pk, source.pk)


def _compare_page(request: HttpRequest, study: Study, session: Session, data=None) -> HttpResponse:
    side = selectors.field_notes_side_by_side(session)
    form = DisagreementForm(data, session=session, notes=side.observer_notes)
    if data is not None and submit_form(
        request,
        form,
        lambda: services.disagreement_record(session=session, actor=request.user, **form.cleaned_data),
        _("Disagreement recorded."),
    ):
        return redirect("field_notes_compare", study.pk, session.pk)
    return render(
        request,
        "interviews/field_notes_compare.html",
        {"study": study, "session": session, "side": side, "form": form, "resolution_form": ResolutionForm()},
        status=400 if form.is_bound else 200,
    )


@study_view()
def field_notes_compare(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """Two (or more) observers' field notes side by side, the reconciled version and the disagreements."""
    return _compare_page(request, study, _load_session(study, pk))


@study_view(Action.EDIT)
@require_POST
def disagreement_record(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    return _compare_page(request, study, _load_session(study, pk), request.POST)


@study_view(Action.EDIT)
def reconciled_notes_create(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    session = _load_session(study, pk)
    form = ReconciledNotesForm(
        request.POST or None,
        initial={"title": _("%(code)s reconciled field notes") % {"code": session.code}},
    )
    if request.method == "POST" and form.is_valid():
        try:
            source = services.reconciled_notes_create(session=session, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Reconciled version saved; it can be coded like a transcript."))
            return redirect("field_notes_compare", study.pk, source.session_id)
    return _simple_form(
        request,
        study,
        session,
        form,
        _("Reconciled field notes of %(code)s") % {"code": session.code},
        _(
            "Write the version of the meeting both observers agree on; record what you disagreed about on the comparison page."
        ),
    )


@study_view(Action.EDIT)
@require_POST
def disagreement_resolve(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    disagreement = get_object_in_study(
        FieldNoteDisagreement.objects.select_related("session__study"), study, pk, path="session__study"
    )
    form = ResolutionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say how the disagreement was resolved."))
        services.disagreement_resolve(
            disagreement=disagreement, actor=request.user, resolution=form.cleaned_data["resolution"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Resolution saved."))
    return redirect("field_notes_compare", study.pk, disagreement.session_id)


@study_view()
def observation_counts(request: HttpRequest, study: Study) -> HttpResponse:
    """Each observation-guide point counted over the study's held observation meetings."""
    return render(
        request,
        "interviews/observation_counts.html",
        {"study": study, "guides": selectors.checklist_counts(study)},
    )
