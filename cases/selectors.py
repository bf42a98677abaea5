"""Reads: querysets limited to what the user may see, with their relations loaded."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import (
    Approval,
    ApprovalCondition,
    AttributeValue,
    ConsentRecord,
    Informant,
    Membership,
    ReportJob,
    Study,
    User,
)
from cases.permissions import studies_for


def study_list_for(user: User) -> QuerySet[Study]:
    return (
        studies_for(user)
        .annotate(
            informant_count=Count("informants", distinct=True),
            session_count=Count("sessions", distinct=True),
            my_role=Subquery(Membership.objects.filter(study=OuterRef("pk"), user=user).values("role")[:1]),
        )
        .order_by("-created_at")
    )


def latest_consent_subquery(field_name: str):
    return Subquery(
        ConsentRecord.objects.filter(informant=OuterRef("pk")).order_by("-recorded_at", "-id").values(field_name)[:1]
    )


def informant_list(study: Study) -> QuerySet[Informant]:
    """Informants with group, site, attributes and their current consent in a fixed number of queries."""
    return (
        Informant.objects.filter(study=study)
        .select_related("group", "site")
        .prefetch_related(Prefetch("attribute_values", queryset=AttributeValue.objects.select_related("definition")))
        .annotate(
            consent_given_on=latest_consent_subquery("given_on"),
            consent_withdrawn_on=latest_consent_subquery("withdrawn_on"),
            consent_covers_quotes=latest_consent_subquery("covers_quotes"),
            consent_count=Count("consents", distinct=True),
        )
        .order_by("code")
    )


def informants_without_consent(study: Study) -> QuerySet[Informant]:
    """Active informants whose current consent is missing or still pending."""
    given = ConsentRecord.objects.filter(informant=OuterRef("pk"))
    return (
        Informant.objects.filter(study=study)
        .exclude(status__in=[Informant.Status.DECLINED, Informant.Status.WITHDRAWN, Informant.Status.CANDIDATE])
        .annotate(has_consent=Exists(given), current_given=latest_consent_subquery("given_on"))
        .filter(Q(has_consent=False) | Q(current_given__isnull=True))
    )


@dataclass
class Check:
    """One line of the study overview: a progress figure and, if something is missing, a flag."""

    area: str
    label: str
    done: int
    total: int
    problems: list[str] = field(default_factory=list)
    url_name: str = ""

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 0 if self.problems else 100
        return round(100 * self.done / self.total)

    @property
    def ok(self) -> bool:
        return not self.problems


def study_overview(study: Study) -> list[Check]:
    from interviews.models import Recording, Session

    today = timezone.localdate()
    checks: list[Check] = []

    approvals = list(Approval.objects.filter(study=study))
    sikt = [a for a in approvals if a.kind == Approval.Kind.SIKT]
    problems = []
    if not sikt:
        problems.append(_("No Sikt notification recorded"))
    else:
        if not any(a.reference or a.project_number for a in sikt):
            problems.append(_("No Sikt reference"))
        if not any(a.is_cleared for a in sikt):
            problems.append(_("Sikt has not answered yet"))
    if not any(a.kind == Approval.Kind.ORGANISATION for a in approvals):
        problems.append(_("No organisational permission recorded"))
    open_conditions = ApprovalCondition.objects.filter(approval__study=study, is_met=False).count()
    if open_conditions:
        problems.append(ngettext("%(n)d approval condition not yet met", "%(n)d approval conditions not yet met", open_conditions) % {"n": open_conditions})
    checks.append(Check("approvals", _("Approvals"), sum(a.is_cleared for a in approvals), len(approvals), problems, "approval_list"))

    informants = Informant.objects.filter(study=study)
    active = informants.exclude(status__in=[Informant.Status.DECLINED, Informant.Status.WITHDRAWN, Informant.Status.CANDIDATE])
    active_count = active.count()
    recruited = informants.filter(status=Informant.Status.RECRUITED).count()
    problems = []
    if active_count == 0:
        problems.append(_("No informants yet"))
    no_group = active.filter(group__isnull=True).count()
    if no_group:
        problems.append(ngettext("%(n)d informant without a group", "%(n)d informants without a group", no_group) % {"n": no_group})
    checks.append(Check("recruitment", _("Recruitment"), recruited, informants.count(), problems, "informant_list"))

    missing = informants_without_consent(study).count()
    problems = []
    if missing:
        problems.append(ngettext("%(n)d informant without consent", "%(n)d informants without consent", missing) % {"n": missing})
    withdrawn = informants.filter(status=Informant.Status.WITHDRAWN).count()
    if withdrawn:
        problems.append(ngettext("%(n)d informant has withdrawn", "%(n)d informants have withdrawn", withdrawn) % {"n": withdrawn})
    no_quotes = (
        active.annotate(q=latest_consent_subquery("covers_quotes"), g=latest_consent_subquery("given_on"))
        .filter(g__isnull=False, q=False)
        .count()
    )
    if no_quotes:
        problems.append(ngettext("%(n)d informant has not consented to quotes", "%(n)d informants have not consented to quotes", no_quotes) % {"n": no_quotes})
    checks.append(Check("consent", _("Consent"), active_count - missing, active_count, problems, "consent_list"))

    sessions = Session.objects.filter(study=study)
    held = sessions.filter(status=Session.Status.HELD).count()
    live = sessions.exclude(status=Session.Status.CANCELLED).count()
    problems = []
    overdue_planned = sessions.filter(status=Session.Status.PLANNED, date__lt=today).count()
    if overdue_planned:
        problems.append(ngettext("%(n)d planned session is in the past: mark it held or cancelled", "%(n)d planned sessions are in the past: mark them held or cancelled", overdue_planned) % {"n": overdue_planned})
    no_attendance = sessions.filter(status=Session.Status.HELD).annotate(n=Count("attendances")).filter(n=0).count()
    if no_attendance:
        problems.append(ngettext("%(n)d held session without attendance", "%(n)d held sessions without attendance", no_attendance) % {"n": no_attendance})
    checks.append(Check("sessions", _("Sessions"), held, live, problems, "session_list"))

    recordings = Recording.objects.filter(session__study=study)
    problems = []
    overdue = recordings.filter(deleted_on__isnull=True, deletion_due__lt=today).count()
    if overdue:
        problems.append(ngettext("%(n)d recording deletion overdue", "%(n)d recording deletions overdue", overdue) % {"n": overdue})
    no_due = recordings.filter(deleted_on__isnull=True, deletion_due__isnull=True).count()
    if no_due:
        problems.append(ngettext("%(n)d recording without a deletion date", "%(n)d recordings without a deletion date", no_due) % {"n": no_due})
    checks.append(Check("data", _("Data and recordings"), recordings.filter(deleted_on__isnull=False).count(), recordings.count(), problems, "session_list"))

    if study.end_date is None:
        checks[0].problems.append(_("No project end date"))

    from cases.selectors_lifecycle import letter_promises

    promises = letter_promises(study, today=today)
    checks.append(
        Check("letter", _("Promises of the information letter"), promises.kept, promises.total, promises.problems, "data_lifecycle")
    )
    return checks


def reports_for(study: Study) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(study=study).select_related("requested_by").order_by("-requested_at", "-id")
