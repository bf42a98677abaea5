"""Fieldwork sessions, attendance and recordings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import ConsentRecord, Informant, Study, User
from cases.services.approvals import sikt_answered
from cases.services.audit import audit_record
from cases.services.records import record_create, record_update
from interviews.models import Attendance, Recording, Session


def _check_sikt_gate(study: Study, status: str) -> None:
    if status == Session.Status.HELD and study.require_sikt_before_fieldwork and not sikt_answered(study):
        raise ValidationError(
            {
                "status": _(
                    "This study does not allow a session to be held before Sikt has answered. Record the Sikt answer first."
                )
            }
        )


def session_create(*, study: Study, actor: User, observers: list[User] | None = None, **fields: Any) -> Session:
    with transaction.atomic():
        session = Session(study=study, **fields)
        if Session.objects.filter(study=study, code=session.code).exists():
            raise ValidationError(
                {"code": _("A session with the code %(code)s already exists.") % {"code": session.code}}
            )
        _check_sikt_gate(study, session.status)
        record_create(study=study, actor=actor, instance=session, action="session.created", label=session.code)
        if observers:
            session.observers.set(observers)
    return session


def session_update(
    *, session: Session, actor: User, data: dict[str, Any], observers: list[User] | None = None
) -> Session:
    with transaction.atomic():
        if (
            "code" in data
            and Session.objects.filter(study_id=session.study_id, code=data["code"]).exclude(pk=session.pk).exists()
        ):
            raise ValidationError(
                {"code": _("A session with the code %(code)s already exists.") % {"code": data["code"]}}
            )
        _check_sikt_gate(session.study, data.get("status", session.status))
        record_update(
            study=session.study, actor=actor, instance=session, action="session.updated", data=data, label=session.code
        )
        if observers is not None:
            session.observers.set(observers)
    return session


def _consent_state(informant: Informant) -> str:
    """The informant's current consent state: withdrawn by status, else the latest record's; pending without one."""
    if informant.status == Informant.Status.WITHDRAWN:
        return ConsentRecord.State.WITHDRAWN
    current = informant.consents.order_by("-recorded_at", "-id").first()
    return ConsentRecord.State.PENDING if current is None else current.state


def _problem_of(informant: Informant, state: str) -> str | None:
    if state == ConsentRecord.State.PENDING:
        return _("%(code)s has no recorded consent.") % {"code": informant.code}
    if state == ConsentRecord.State.WITHDRAWN:
        return _("%(code)s has withdrawn consent.") % {"code": informant.code}
    return None


def _scope_problem(informant: Informant, session: Session) -> str | None:
    """Being observed needs consent that covers observation; an interview's consent does not."""
    if session.kind != Session.Kind.OBSERVATION:
        return None
    current = informant.consents.order_by("-recorded_at", "-id").first()
    if current is not None and not current.covers_observation:
        return _("%(code)s's consent does not cover observation.") % {"code": informant.code}
    return None


def attendance_set(
    *,
    session: Session,
    informant: Informant,
    actor: User,
    status: str,
    absence_reason: str = "",
    substitute_for: Informant | None = None,
) -> tuple[Attendance, str | None]:
    """Record one informant's attendance. Returns the row and a warning, if the study only warns.

    The study's consent gate decides whether attendance ("came") without consent is
    refused (block) or recorded with a warning (warn). An informant who withdrew (status
    or latest consent record) is always refused.
    """
    warning = None
    if status in (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE):
        state = _consent_state(informant)
        problem = _problem_of(informant, state) or _scope_problem(informant, session)
        if problem:
            withdrawn = state == ConsentRecord.State.WITHDRAWN
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
        audit_record(
            study=session.study,
            actor=actor,
            action="attendance.set",
            target=session,
            label=f"{session.code}/{informant.code}",
            informant=informant.code,
            status=status,
        )
    return attendance, warning


NOT_INVITED = "not_invited"


@dataclass(frozen=True)
class AttendanceRow:
    """One informant's wanted attendance; ``status`` is an Attendance.Status or NOT_INVITED."""

    informant: Informant
    status: str
    absence_reason: str = ""
    substitute_for: Informant | None = None


def attendance_set_many(*, session: Session, actor: User, rows: list[AttendanceRow]) -> list[str]:
    """Record the attendance table of a session: all rows or none. Returns the consent warnings.

    Rows that did not change are left alone; NOT_INVITED removes an informant's row.
    If the consent gate refuses any row, a ValidationError naming every refused
    informant is raised and nothing of the submission is written.
    """
    existing = {a.informant_id: a for a in session.attendances.all()}
    warnings: list[str] = []
    refused: list[str] = []
    with transaction.atomic():
        for row in rows:
            if row.informant.study_id != session.study_id or (
                row.substitute_for is not None and row.substitute_for.study_id != session.study_id
            ):
                raise ValidationError(_("The informant belongs to another study."))
            current = existing.get(row.informant.pk)
            if row.status == NOT_INVITED:
                if current is not None:
                    attendance_remove(attendance=current, actor=actor)
                continue
            if current is not None and (current.status, current.absence_reason, current.substitute_for_id) == (
                row.status,
                row.absence_reason,
                row.substitute_for.pk if row.substitute_for else None,
            ):
                continue
            try:
                _attendance, warning = attendance_set(
                    session=session,
                    informant=row.informant,
                    actor=actor,
                    status=row.status,
                    absence_reason=row.absence_reason,
                    substitute_for=row.substitute_for,
                )
            except ValidationError as error:
                refused.extend(error.messages)
                continue
            if warning:
                warnings.append(warning)
        if refused:
            # Raising inside the atomic block rolls back the rows already written.
            raise ValidationError([_("Nothing was saved.")] + refused)
    return warnings


def attendance_remove(*, attendance: Attendance, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            study=attendance.session.study,
            actor=actor,
            action="attendance.removed",
            target=attendance.session,
            label=f"{attendance.session.code}/{attendance.informant.code}",
        )
        attendance.delete()


def recording_create(*, session: Session, actor: User, **fields: Any) -> Recording:
    recording = Recording(session=session, **fields)
    return record_create(
        study=session.study, actor=actor, instance=recording, action="recording.created", label=session.code
    )


def recording_update(*, recording: Recording, actor: User, data: dict[str, Any]) -> Recording:
    return record_update(
        study=recording.session.study,
        actor=actor,
        instance=recording,
        action="recording.updated",
        data=data,
        label=recording.session.code,
    )
