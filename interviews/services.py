"""Fieldwork sessions, attendance and recordings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import ConsentRecord, Informant, Study, User
from cases.services.approvals import sikt_answered
from cases.services.audit import audit_record
from cases.services.records import record_create, record_update

from .models import Attendance, Recording, Session


def _check_sikt_gate(study: Study, status: str) -> None:
    if status == Session.Status.HELD and study.require_sikt_before_fieldwork and not sikt_answered(study):
        raise ValidationError(
            {"status": _("This study does not allow a session to be held before Sikt has answered. Record the Sikt answer first.")}
        )


def session_create(*, study: Study, actor: User, observers: list[User] | None = None, **fields: Any) -> Session:
    with transaction.atomic():
        session = Session(study=study, **fields)
        if Session.objects.filter(study=study, code=session.code).exists():
            raise ValidationError({"code": _("A session with the code %(code)s already exists.") % {"code": session.code}})
        _check_sikt_gate(study, session.status)
        record_create(study=study, actor=actor, instance=session, action="session.created", label=session.code)
        if observers:
            session.observers.set(observers)
    return session


def session_update(*, session: Session, actor: User, data: dict[str, Any], observers: list[User] | None = None) -> Session:
    with transaction.atomic():
        if "code" in data and Session.objects.filter(study_id=session.study_id, code=data["code"]).exclude(pk=session.pk).exists():
            raise ValidationError({"code": _("A session with the code %(code)s already exists.") % {"code": data["code"]}})
        _check_sikt_gate(session.study, data.get("status", session.status))
        record_update(study=session.study, actor=actor, instance=session, action="session.updated", data=data, label=session.code)
        if observers is not None:
            session.observers.set(observers)
    return session


def consent_problem(informant: Informant) -> str | None:
    """Why data may not (or should not) be entered for ``informant``; None when consent is given."""
    current = informant.consents.order_by("-recorded_at", "-id").first()
    if current is None or current.state == ConsentRecord.State.PENDING:
        return _("%(code)s has no recorded consent.") % {"code": informant.code}
    if current.state == ConsentRecord.State.WITHDRAWN:
        return _("%(code)s has withdrawn consent.") % {"code": informant.code}
    return None


def attendance_set(
    *, session: Session, informant: Informant, actor: User, status: str, absence_reason: str = "",
    substitute_for: Informant | None = None,
) -> tuple[Attendance, str | None]:
    """Record one informant's attendance. Returns the row and a warning, if the study only warns.

    The study's consent gate decides whether attendance ("came") without consent is
    refused (block) or recorded with a warning (warn). A withdrawn informant is always refused.
    """
    warning = None
    if status in (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE):
        problem = consent_problem(informant)
        if problem:
            withdrawn = informant.status == Informant.Status.WITHDRAWN
            if withdrawn or session.study.consent_gate == Study.Gate.BLOCK:
                raise ValidationError(problem)
            warning = problem
    with transaction.atomic():
        attendance = Attendance.objects.filter(session=session, informant=informant).first() or Attendance(
            session=session, informant=informant
        )
        attendance.status = status
        attendance.absence_reason = absence_reason
        attendance.substitute_for = substitute_for
        attendance.full_clean()
        attendance.save()
        audit_record(study=session.study, actor=actor, action="attendance.set", target=session, label=f"{session.code}/{informant.code}",
                     informant=informant.code, status=status)
    return attendance, warning


def attendance_remove(*, attendance: Attendance, actor: User) -> None:
    with transaction.atomic():
        audit_record(study=attendance.session.study, actor=actor, action="attendance.removed", target=attendance.session,
                     label=f"{attendance.session.code}/{attendance.informant.code}")
        attendance.delete()


def recording_create(*, session: Session, actor: User, **fields: Any) -> Recording:
    recording = Recording(session=session, **fields)
    return record_create(study=session.study, actor=actor, instance=recording, action="recording.created", label=session.code)


def recording_update(*, recording: Recording, actor: User, data: dict[str, Any]) -> Recording:
    return record_update(study=recording.session.study, actor=actor, instance=recording, action="recording.updated", data=data,
                         label=recording.session.code)
