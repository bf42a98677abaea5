"""Supervision meetings and their decisions; audited by id only, because the notes are the student's own writing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from cases.models import Instrument, Membership, ResearchQuestion, Study, User
from cases.services.audit import audit_record, changed_fields, snapshot
from interviews.models import Code, Session, SupervisionDecision, SupervisionMeeting

MEETING_FIELDS = ("held_on", "notes", "attendees")
DECISION_FIELDS = ("text", "area", "research_question", "code", "session", "instrument")
LINKS = {"research_question": ResearchQuestion, "code": Code, "session": Session, "instrument": Instrument}


def _check_attendees(study: Study, attendees: Iterable[User]) -> list[User]:
    attendees = list(attendees)
    member_ids = set(Membership.objects.filter(study=study).values_list("user_id", flat=True))
    if any(user.pk not in member_ids for user in attendees):
        raise ValidationError({"attendees": _("Only the study's members can be listed as present.")})
    return attendees


def _check_links(decision: SupervisionDecision, study: Study) -> None:
    errors = {}
    for name, model in LINKS.items():
        pk = getattr(decision, f"{name}_id")
        if pk is not None and not model.objects.filter(pk=pk, study=study).exists():
            errors[name] = _("This belongs to another study.")
    if errors:
        raise ValidationError(errors)


def _link_ids(decision: SupervisionDecision) -> dict[str, Any]:
    return {
        "meeting": decision.meeting_id,
        "area": decision.area,
        **{name: getattr(decision, f"{name}_id") for name in LINKS},
    }


# Meetings -----------------------------------------------------------------------------------------------------------


def supervision_meeting_create(
    *, study: Study, actor: User, held_on: dt.date, notes: str = "", attendees: Iterable[User] = ()
) -> SupervisionMeeting:
    """Record a meeting. Before: every attendee is a member of ``study``. After: the meeting and an audit row."""
    meeting = SupervisionMeeting(study=study, held_on=held_on, notes=notes, created_by=actor)
    with transaction.atomic():
        people = _check_attendees(study, attendees)
        meeting.full_clean()
        meeting.save()
        meeting.attendees.set(people)
        audit_record(
            study=study,
            actor=actor,
            action="supervision_meeting.created",
            target=meeting,
            attendees=sorted(user.pk for user in people),
        )
    return meeting


def supervision_meeting_update(*, meeting: SupervisionMeeting, actor: User, data: dict[str, Any]) -> SupervisionMeeting:
    """Change a meeting's date, notes or attendees (members of its study only)."""
    unknown = set(data) - set(MEETING_FIELDS)
    if unknown:
        raise ValueError(f"supervision_meeting_update cannot change {sorted(unknown)}")
    data = dict(data)
    with transaction.atomic():
        attendees = data.pop("attendees", None)
        people = None if attendees is None else _check_attendees(meeting.study, attendees)
        before = snapshot(SupervisionMeeting.objects.get(pk=meeting.pk))
        before_people = set(meeting.attendees.values_list("pk", flat=True))
        for name, value in data.items():
            setattr(meeting, name, value)
        meeting.full_clean()
        meeting.save()
        fields = [name for name in changed_fields(meeting, before) if name != "updated_at"]
        if people is not None and {user.pk for user in people} != before_people:
            meeting.attendees.set(people)
            fields.append("attendees")
        if fields:
            audit_record(
                study=meeting.study, actor=actor, action="supervision_meeting.updated", target=meeting, fields=fields
            )
    return meeting


def supervision_meeting_delete(*, meeting: SupervisionMeeting, actor: User) -> None:
    """Delete a meeting with its decisions."""
    with transaction.atomic():
        audit_record(
            study=meeting.study,
            actor=actor,
            action="supervision_meeting.deleted",
            target=meeting,
            decisions=list(meeting.decisions.values_list("pk", flat=True)),
        )
        meeting.delete()


# Decisions ----------------------------------------------------------------------------------------------------------


def supervision_decision_add(
    *,
    meeting: SupervisionMeeting,
    actor: User,
    text: str,
    area: str = SupervisionDecision.Area.OTHER,
    research_question: ResearchQuestion | None = None,
    code: Code | None = None,
    session: Session | None = None,
    instrument: Instrument | None = None,
) -> SupervisionDecision:
    """Add a decision last in the meeting. Before: every linked object belongs to the meeting's study."""
    decision = SupervisionDecision(
        meeting=meeting,
        text=text.strip(),
        area=area,
        research_question=research_question,
        code=code,
        session=session,
        instrument=instrument,
    )
    with transaction.atomic():
        SupervisionMeeting.objects.select_for_update().filter(pk=meeting.pk).first()
        last = meeting.decisions.aggregate(last=Max("position"))["last"]
        decision.position = 0 if last is None else last + 1
        _check_links(decision, meeting.study)
        decision.full_clean()
        decision.save()
        audit_record(
            study=meeting.study,
            actor=actor,
            action="supervision_decision.added",
            target=decision,
            **_link_ids(decision),
        )
    return decision


def supervision_decision_update(
    *, decision: SupervisionDecision, actor: User, data: dict[str, Any]
) -> SupervisionDecision:
    """Change a decision's text, area or links (objects of the same study only)."""
    unknown = set(data) - set(DECISION_FIELDS)
    if unknown:
        raise ValueError(f"supervision_decision_update cannot change {sorted(unknown)}")
    study = decision.meeting.study
    with transaction.atomic():
        before = snapshot(SupervisionDecision.objects.get(pk=decision.pk))
        for name, value in data.items():
            setattr(decision, name, value.strip() if name == "text" else value)
        _check_links(decision, study)
        decision.full_clean()
        decision.save()
        fields = changed_fields(decision, before)
        if fields:
            audit_record(
                study=study,
                actor=actor,
                action="supervision_decision.updated",
                target=decision,
                fields=fields,
                **_link_ids(decision),
            )
    return decision


def supervision_decision_toggle_done(*, decision: SupervisionDecision, actor: User) -> SupervisionDecision:
    """Mark a decision carried out, or open again."""
    with transaction.atomic():
        decision.is_done = not decision.is_done
        decision.full_clean()
        decision.save(update_fields=["is_done"])
        audit_record(
            study=decision.meeting.study,
            actor=actor,
            action="supervision_decision.done" if decision.is_done else "supervision_decision.reopened",
            target=decision,
            meeting=decision.meeting_id,
        )
    return decision


def supervision_decision_delete(*, decision: SupervisionDecision, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            study=decision.meeting.study,
            actor=actor,
            action="supervision_decision.deleted",
            target=decision,
            meeting=decision.meeting_id,
        )
        decision.delete()
