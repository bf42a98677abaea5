"""What the background reports show, gathered with a fixed number of queries.

Reports carry codes, groups, sites and roles – never anything from the key list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from cases.consent_policy import excluded_counts, excluded_informants
from cases.models import Informant, ReportJob, Study
from interviews.models import Attendance, Session

PRESENT = (Attendance.Status.CAME, Attendance.Status.SUBSTITUTE)


def natural_key(code: str) -> list[int | str]:
    """Sort I2 before I10, as people number their informants and sessions."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", code)]


def method_overview_context(study: Study) -> dict[str, Any]:
    """What the method overview shows. Informants whose consent is missing, pending, partial or
    withdrawn are left out everywhere (their codes too); the report counts them by reason,
    except withdrawn informants, who are not mentioned at all."""
    excluded = excluded_informants(study)
    informants = sorted(
        Informant.objects.filter(study=study).exclude(pk__in=list(excluded)).select_related("group", "site"),
        key=lambda i: (i.group is None, i.group.position if i.group else 0, natural_key(i.code)),
    )
    sessions = sorted(
        Session.objects.filter(study=study).prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.select_related("informant"))
        ),
        key=lambda s: (s.date is None, s.date or timezone.now().date(), natural_key(s.code)),
    )
    attended: dict[int, list[str]] = defaultdict(list)
    session_rows = []
    for session in sessions:
        attendances = sorted(
            (a for a in session.attendances.all() if a.informant_id not in excluded),
            key=lambda a: natural_key(a.informant.code),
        )
        present = [a for a in attendances if a.status in PRESENT]
        for attendance in present:
            attended[attendance.informant_id].append(session.code)
        session_rows.append(
            {
                "session": session,
                "present": [a.informant.code for a in present],
                "absent": [a.informant.code for a in attendances if a.status == Attendance.Status.ABSENT],
            }
        )
    return {
        "study": study,
        "informant_rows": [{"informant": i, "sessions": attended.get(i.pk, [])} for i in informants],
        "session_rows": session_rows,
        "research_questions": list(study.research_questions.all()),
        "generated_at": timezone.now(),
        "informant_ids": [i.pk for i in informants],
        "excluded_counts": excluded_counts(excluded),
    }


def build_report_context(job: ReportJob) -> dict[str, Any]:
    if job.kind == ReportJob.Kind.METHOD_OVERVIEW:
        context = method_overview_context(job.study)
    else:  # pragma: no cover - every kind is handled above
        raise ValueError(f"Unknown report kind {job.kind}")
    context["job"] = job
    return context
