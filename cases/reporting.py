"""What the background reports show, gathered with a fixed number of queries.

Reports carry codes, groups, sites and roles – never anything from the key list.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from cases.models import Informant, ReportJob
from interviews.models import Attendance, Session


def method_overview_context(study) -> dict[str, Any]:
    informants = list(
        Informant.objects.filter(study=study).select_related("group", "site").order_by("group__position", "code")
    )
    sessions = list(
        Session.objects.filter(study=study)
        .select_related("site", "moderator")
        .prefetch_related(Prefetch("attendances", queryset=Attendance.objects.select_related("informant")))
        .order_by("date", "code")
    )
    attended: dict[int, list[str]] = defaultdict(list)
    for session in sessions:
        for attendance in session.attendances.all():
            if attendance.status in (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE):
                attended[attendance.informant_id].append(session.code)
    rows = [
        {"informant": informant, "sessions": attended.get(informant.pk, [])}
        for informant in informants
    ]
    session_rows = [
        {
            "session": session,
            "present": [a.informant.code for a in session.attendances.all() if a.status in (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE)],
            "absent": [a.informant.code for a in session.attendances.all() if a.status == Attendance.Status.ABSENT],
        }
        for session in sessions
    ]
    return {
        "study": study,
        "informant_rows": rows,
        "session_rows": session_rows,
        "research_questions": list(study.research_questions.all()),
        "generated_at": timezone.now(),
        "informant_ids": [i.pk for i in informants],
    }


def build_report_context(job: ReportJob) -> dict[str, Any]:
    if job.kind == ReportJob.Kind.METHOD_OVERVIEW:
        context = method_overview_context(job.study)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(f"Unknown report kind {job.kind}")
    context["job"] = job
    return context
