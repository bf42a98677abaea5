"""The end of a study: a reminder before the project end date, then the study's end action.

``lifecycle_run`` is called once a day by Celery beat (``cases.tasks.study_lifecycle_run``)
and by ``manage.py run_lifecycle``. For each study with an end date it

1. e-mails the project owner ``STUDY_END_REMINDER_DAYS`` before the end date,
   once (``Study.end_reminder_sent_at``);
2. on or after the end date performs ``Study.end_action`` once
   (``Study.end_action_done_at``), each study in its own transaction.

The end action never runs before the owner has had the full notice period: a
study whose end date was entered late (or already passed) gets its reminder
first and its end action ``STUDY_END_REMINDER_DAYS`` days later. Destroying
research data without warning is the one mistake that cannot be undone.

Both steps claim their study with a conditional update, so a second run, or a
second worker, changes nothing. Each step writes an AuditEvent with counts
only, never a name or a term.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import (
    ConsentRecord,
    IdentityRecord,
    Informant,
    Membership,
    ReportJob,
    SensitiveTerm,
    Site,
    StoredFile,
    Study,
    User,
)

from .audit import audit_record
from .records import record_update

logger = logging.getLogger(__name__)

ANONYMISE = Study.EndAction.ANONYMISE
DELETE = Study.EndAction.DELETE


def notice_period() -> dt.timedelta:
    return dt.timedelta(days=settings.STUDY_END_REMINDER_DAYS)


def reminder_due(study: Study) -> dt.date | None:
    """The day the owner is reminded, or None without an end date."""
    if study.end_date is None:
        return None
    return study.end_date - notice_period()


def end_action_due(study: Study, *, today: dt.date) -> dt.date | None:
    """The first day the end action may run: the end date, but never before a full notice period."""
    if study.end_date is None:
        return None
    if study.end_reminder_sent_at is not None:
        reminded_on = timezone.localdate(study.end_reminder_sent_at)
    else:
        reminded_on = max(today, study.end_date - notice_period())
    return max(study.end_date, reminded_on + notice_period())


@dataclass
class LifecycleRunResult:
    """What one run did (or, in a dry run, would do): study ids and the end actions' counts."""

    reminded: list[int] = field(default_factory=list)
    anonymised: dict[int, dict[str, int]] = field(default_factory=dict)
    deleted: dict[int, dict[str, int]] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(self.reminded or self.anonymised or self.deleted)


def lifecycle_run(*, today: dt.date, dry_run: bool = False) -> LifecycleRunResult:
    """Remind and perform end actions for every study that is due on ``today``.

    A failure in one study is logged (by id) and does not stop the others.
    """
    result = LifecycleRunResult()
    pending = Study.objects.filter(end_date__isnull=False, end_action_done_at__isnull=True).order_by("pk")
    for study in list(pending):
        try:
            if study.end_reminder_sent_at is None:
                # The reminder opens the notice period; the end action waits for a later run.
                if today >= reminder_due(study) and (dry_run or study_end_remind(study=study, today=today)):
                    result.reminded.append(study.pk)
                continue
            if today < end_action_due(study, today=today):
                continue
            counts = end_action_preview(study=study) if dry_run else study_end_action_perform(study=study, today=today)
            if counts is not None:
                target = result.anonymised if study.end_action == ANONYMISE else result.deleted
                target[study.pk] = counts
        except Exception:  # noqa: BLE001 - one study's failure must not stop the others' legal deadlines
            logger.exception("Data lifecycle failed for study %s", study.pk)
            result.failed.append(study.pk)
    return result


# The reminder -------------------------------------------------------------------------------------------------------


def study_end_remind(*, study: Study, today: dt.date) -> bool:
    """Claim the study's reminder and e-mail the owner once the claim is committed.

    Sent whatever the owner's ``notify_by_email`` says: telling the project
    owner before their data is anonymised or deleted is a duty, not a courtesy.
    Returns False when the reminder was already sent.
    """
    with transaction.atomic():
        claimed = Study.objects.filter(pk=study.pk, end_reminder_sent_at__isnull=True).update(
            end_reminder_sent_at=timezone.now()
        )
        if not claimed:
            return False
        study.refresh_from_db(fields=["end_reminder_sent_at"])
        due = end_action_due(study, today=today)
        audit_record(
            study=study,
            actor=None,
            action="lifecycle.reminded",
            target=study,
            label=_("End-date reminder"),
            end_date=study.end_date.isoformat(),
            end_action=study.end_action,
            end_action_due=due.isoformat(),
        )
        transaction.on_commit(lambda: _send_reminder(study.pk, due))
    return True


def _project_owners(study: Study) -> list[User]:
    return [m.user for m in Membership.objects.filter(study=study, role=Membership.Role.OWNER).select_related("user")]


def _send_reminder(study_id: int, due: dt.date) -> None:
    study = Study.objects.get(pk=study_id)
    owners = _project_owners(study)
    if not owners:
        logger.warning("Study %s has no project owner to remind", study_id)
        return
    with translation.override(study.language):
        context = {
            "study": study,
            "due": due,
            "end_action_label": Study.EndAction(study.end_action).label,
            "counts": describe_counts(end_action_preview(study=study)),
            "lifecycle_path": reverse("data_lifecycle", args=[study.pk]),
        }
        subject = _("“%(title)s” ends on %(date)s: what will happen to its data") % {
            "title": study.title,
            "date": study.end_date.isoformat(),
        }
        body = render_to_string("cases/lifecycle/reminder_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email for owner in owners])


# The end action -----------------------------------------------------------------------------------------------------


def _file_storage() -> Storage:
    return StoredFile._meta.get_field("file").storage


def _delete_files_on_commit(names: list[str]) -> None:
    """Remove bytes from disk only once the rows that pointed at them are gone for good."""
    names = [name for name in names if name]
    if not names:
        return

    def remove() -> None:
        storage = _file_storage()
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)


def _history_model(model: type[models.Model]) -> type[models.Model]:
    return model.history.model  # type: ignore[attr-defined]


class _Steps:
    """Runs or counts each step of an end action, so the preview and the action share one definition."""

    def __init__(self, *, dry_run: bool):
        self.dry_run = dry_run
        self.counts: dict[str, int] = {}
        self.files: list[str] = []

    def delete(self, name: str, queryset: models.QuerySet) -> None:
        if self.dry_run:
            self.counts[name] = queryset.count()
            return
        _total, per_model = queryset.delete()
        self.counts[name] = per_model.get(queryset.model._meta.label, 0)

    def delete_with_history(self, name: str, queryset: models.QuerySet, history: models.QuerySet) -> None:
        """Delete rows and every historical version of them (the deletion itself adds one more)."""
        self.counts[name + "_history"] = history.count()
        self.delete(name, queryset)
        if not self.dry_run:
            history.delete()

    def update(self, name: str, queryset: models.QuerySet, **values) -> None:
        self.counts[name] = queryset.count() if self.dry_run else queryset.update(**values)

    def delete_stored_files(self, name: str, queryset: models.QuerySet[StoredFile]) -> None:
        names = [n for n in queryset.values_list("file", flat=True) if n]
        self.counts[name + "_on_disk"] = len(names)
        self.delete(name, queryset)
        if not self.dry_run:
            self.files.extend(names)


def _anonymise(study: Study, today: dt.date, steps: _Steps) -> None:
    """Delete the key list, real names, sensitive terms, consent forms; mark recordings deleted; clear fields."""
    from interviews.models import Recording

    informant_ids = list(Informant.objects.filter(study=study).values_list("pk", flat=True))
    steps.delete_with_history(
        "identity_records",
        IdentityRecord.objects.filter(informant_id__in=informant_ids),
        _history_model(IdentityRecord).objects.filter(informant_id__in=informant_ids),
    )
    # Signed consent forms carry names and signatures: they are a key list of their own.
    steps.delete_stored_files(
        "consent_forms",
        StoredFile.objects.filter(
            pk__in=ConsentRecord.objects.filter(informant_id__in=informant_ids, form__isnull=False).values("form_id")
        ),
    )
    steps.update("site_real_names", Site.objects.filter(study=study).exclude(real_name=""), real_name="")
    steps.delete("sensitive_terms", SensitiveTerm.objects.filter(study=study))
    steps.update(
        "recordings", Recording.objects.filter(session__study=study, deleted_on__isnull=True), deleted_on=today
    )
    identifying = (
        ~Q(notes="")
        | ~Q(recruitment_channel="")
        | ~Q(status_reason="")
        | ~Q(relationship=Informant.Relationship.NONE)
        | Q(anonymised_at__isnull=True)
    )
    steps.update(
        "informants",
        Informant.objects.filter(identifying, study=study),
        notes="",
        recruitment_channel="",
        status_reason="",
        relationship=Informant.Relationship.NONE,
        anonymised_at=timezone.now(),
    )


def _delete(study: Study, today: dt.date, steps: _Steps) -> None:
    """Delete the research data; the study row, its plan, codebook, approvals and audit trail stay."""
    from interviews.models import CodingAction, Excerpt, Memo, Recording, Session, Source

    informant_ids = list(Informant.objects.filter(study=study).values_list("pk", flat=True))
    reports = ReportJob.objects.filter(study=study)
    report_files = [n for n in reports.values_list("file", flat=True) if n]
    steps.counts["report_files_on_disk"] = len(report_files)
    steps.delete("reports", reports)
    if not steps.dry_run:
        steps.files.extend(report_files)
    steps.delete_with_history(
        "excerpts", Excerpt.objects.filter(study=study), _history_model(Excerpt).objects.filter(study_id=study.pk)
    )
    steps.delete("coding_actions", CodingAction.objects.filter(study=study))
    steps.delete("memos", Memo.objects.filter(study=study))
    steps.delete("sources", Source.objects.filter(study=study))
    steps.delete("recordings", Recording.objects.filter(session__study=study))
    steps.delete("sessions", Session.objects.filter(study=study))
    steps.delete_with_history(
        "identity_records",
        IdentityRecord.objects.filter(informant_id__in=informant_ids),
        _history_model(IdentityRecord).objects.filter(informant_id__in=informant_ids),
    )
    steps.delete_with_history(
        "consent_records",
        ConsentRecord.objects.filter(informant_id__in=informant_ids),
        _history_model(ConsentRecord).objects.filter(informant_id__in=informant_ids),
    )
    steps.delete("informants", Informant.objects.filter(pk__in=informant_ids))
    steps.delete_stored_files("stored_files", StoredFile.objects.filter(study=study))
    steps.delete("sensitive_terms", SensitiveTerm.objects.filter(study=study))
    steps.update("site_real_names", Site.objects.filter(study=study).exclude(real_name=""), real_name="")


def end_action_preview(*, study: Study) -> dict[str, int]:
    """The counts the study's end action would report if it ran now; writes nothing."""
    steps = _Steps(dry_run=True)
    (_anonymise if study.end_action == ANONYMISE else _delete)(study, timezone.localdate(), steps)
    return steps.counts


def study_end_action_perform(*, study: Study, today: dt.date) -> dict[str, int] | None:
    """Perform the study's end action once; None if it was already done.

    Before: the study has an end date and is due (``lifecycle_run`` checks).
    After: ``end_action_done_at`` is set, the data is anonymised or deleted,
    files leave the disk once the transaction commits, and one AuditEvent
    ("lifecycle.anonymised" or "lifecycle.deleted") holds the counts.
    """
    with transaction.atomic():
        claimed = Study.objects.filter(pk=study.pk, end_action_done_at__isnull=True).update(
            end_action_done_at=timezone.now()
        )
        if not claimed:
            return None
        study.refresh_from_db()
        steps = _Steps(dry_run=False)
        if study.end_action == ANONYMISE:
            _anonymise(study, today, steps)
            action = "lifecycle.anonymised"
        else:
            _delete(study, today, steps)
            action = "lifecycle.deleted"
        audit_record(
            study=study,
            actor=None,
            action=action,
            target=study,
            label=str(Study.EndAction(study.end_action).label),
            end_date=study.end_date.isoformat() if study.end_date else None,
            performed_on=today.isoformat(),
            **steps.counts,
        )
        _delete_files_on_commit(steps.files)
    return steps.counts


# The counts of an end action, in the words a researcher reads them.
COUNT_LABELS = {
    "identity_records": gettext_lazy("key-list entries deleted"),
    "identity_records_history": gettext_lazy("earlier versions of key-list entries deleted"),
    "consent_forms": gettext_lazy("signed consent forms deleted"),
    "consent_forms_on_disk": gettext_lazy("consent-form files removed from disk"),
    "site_real_names": gettext_lazy("real site names cleared"),
    "sensitive_terms": gettext_lazy("sensitive terms deleted"),
    "recordings": gettext_lazy("recordings marked deleted or removed"),
    "informants": gettext_lazy("informants cleared of identifying details or deleted"),
    "reports": gettext_lazy("generated reports deleted"),
    "report_files_on_disk": gettext_lazy("report files removed from disk"),
    "excerpts": gettext_lazy("excerpts deleted"),
    "excerpts_history": gettext_lazy("earlier versions of excerpts deleted"),
    "coding_actions": gettext_lazy("coding undo steps deleted"),
    "memos": gettext_lazy("memos deleted"),
    "sources": gettext_lazy("sources (transcripts, notes) deleted"),
    "sessions": gettext_lazy("sessions deleted"),
    "consent_records": gettext_lazy("consent records deleted"),
    "consent_records_history": gettext_lazy("earlier versions of consent records deleted"),
    "stored_files": gettext_lazy("uploaded files deleted"),
    "stored_files_on_disk": gettext_lazy("uploaded files removed from disk"),
}


def describe_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The counts of an end action as (what, how many), in the reader's language."""
    return [(str(COUNT_LABELS.get(name, name)), n) for name, n in counts.items()]


# Settings -----------------------------------------------------------------------------------------------------------


def study_end_action_set(*, study: Study, actor: User, end_action: str) -> Study:
    """Change what happens at the project end date; refused once the end action has been performed."""
    if study.end_action_done_at is not None:
        raise ValidationError(
            {
                "end_action": _("The end action was already performed on %(date)s.")
                % {"date": timezone.localdate(study.end_action_done_at).isoformat()}
            }
        )
    return record_update(
        study=study,
        actor=actor,
        instance=study,
        action="lifecycle.end_action_changed",
        data={"end_action": end_action},
        label=study.title,
    )
