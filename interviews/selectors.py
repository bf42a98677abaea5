"""Reads for fieldwork: querysets with their relations loaded, for views that already checked the study."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from cases.models import ConsentRecord, Informant, Study
from cases.selectors import latest_consent_subquery

from .models import Attendance, Session

CAME = [Attendance.Status.CAME, Attendance.Status.SUBSTITUTE]


def session_list(study: Study, *, kind: str = "", status: str = "") -> QuerySet[Session]:
    """The study's sessions with site, moderator and attendance counts (came incl. substitutes / invited / absent)."""
    sessions = (
        Session.objects.filter(study=study)
        .select_related("site", "moderator")
        .annotate(
            came_count=Count("attendances", filter=Q(attendances__status__in=CAME)),
            invited_count=Count("attendances"),
            absent_count=Count("attendances", filter=Q(attendances__status=Attendance.Status.ABSENT)),
        )
        .order_by(F("date").asc(nulls_last=True), "code")
    )
    if kind:
        sessions = sessions.filter(kind=kind)
    if status:
        sessions = sessions.filter(status=status)
    return sessions


def informants_with_consent_state(study: Study) -> list[Informant]:
    """All the study's informants by code, each with ``consent_state`` (given / pending / withdrawn) in one query."""
    informants = list(
        Informant.objects.filter(study=study)
        .select_related("group", "site")
        .annotate(
            consent_given_on=latest_consent_subquery("given_on"),
            consent_withdrawn_on=latest_consent_subquery("withdrawn_on"),
        )
        .order_by("code")
    )
    for informant in informants:
        if informant.consent_withdrawn_on or informant.status == Informant.Status.WITHDRAWN:
            informant.consent_state = ConsentRecord.State.WITHDRAWN
        elif informant.consent_given_on:
            informant.consent_state = ConsentRecord.State.GIVEN
        else:
            informant.consent_state = ConsentRecord.State.PENDING
    return informants
