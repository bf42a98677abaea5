"""Reads for the data lifecycle: the letter's promises against the study, and the study's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import AuditEvent, InformationLetter, Invitation, Membership, Study, WithdrawalTombstone
from cases.services.lifecycle import end_action_due, reminder_due

Role = Membership.Role

# How a letter names a role, for "… but the letter does not name supervisors".
ROLE_PLURALS = {
    Role.OWNER: lambda: _("the project owner"),
    Role.CO_RESEARCHER: lambda: _("co-researchers"),
    Role.SUPERVISOR: lambda: _("supervisors"),
}
ROLE_SINGULAR = {
    Role.OWNER: lambda: _("Project owner"),
    Role.CO_RESEARCHER: lambda: _("Co-researcher"),
    Role.SUPERVISOR: lambda: _("Supervisor"),
}

LIFECYCLE_ACTIONS = ("lifecycle.reminded", "lifecycle.anonymised", "lifecycle.deleted", "lifecycle.end_action_changed")


def current_letter(study: Study) -> InformationLetter | None:
    """The information letter in force: the latest dated version (the model's ordering)."""
    return InformationLetter.objects.filter(study=study).first()


@dataclass
class PromiseCheck:
    """The current letter's three promises, each with what in the study breaks it."""

    letter: InformationLetter | None
    access: list[str] = field(default_factory=list)
    storage: list[str] = field(default_factory=list)
    deletion: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        if self.letter is None:
            return [_("No information letter recorded: its promises cannot be checked.")]
        return self.access + self.storage + self.deletion

    @property
    def kept(self) -> int:
        if self.letter is None:
            return 0
        return sum(not part for part in (self.access, self.storage, self.deletion))

    @property
    def total(self) -> int:
        return 0 if self.letter is None else 3


def letter_promises(study: Study, *, today: dt.date | None = None) -> PromiseCheck:
    """Check who has access, where recordings are, and when they go, against the current letter."""
    from interviews.models import Recording

    today = today or timezone.localdate()
    letter = current_letter(study)
    check = PromiseCheck(letter=letter)
    if letter is None:
        return check

    # Access: the owner writes the letter and is always named; anyone else in a role it does not name is flagged.
    named = set(letter.promised_roles or []) | {Role.OWNER}
    if not letter.promised_roles:
        check.access.append(_("The letter's named roles are not recorded: tick who the letter says has access."))
    for membership in Membership.objects.filter(study=study).exclude(role__in=named).select_related("user"):
        check.access.append(
            _("%(role)s %(name)s has access, but the letter does not name %(roles)s.")
            % {
                "role": ROLE_SINGULAR[membership.role](),
                "name": membership.user.display_name,
                "roles": ROLE_PLURALS[membership.role](),
            }
        )
    open_invitations = [
        i
        for i in Invitation.objects.filter(study=study, accepted_at__isnull=True, revoked_at__isnull=True)
        if i.is_open
    ]
    for invitation in open_invitations:
        if invitation.role not in named:
            check.access.append(
                _(
                    "An open invitation to %(email)s would give access as %(role)s, but the letter does not name %(roles)s."
                )
                % {
                    "email": invitation.email,
                    "role": ROLE_SINGULAR[invitation.role]().lower(),
                    "roles": ROLE_PLURALS[invitation.role](),
                }
            )

    live = list(Recording.objects.filter(session__study=study, deleted_on__isnull=True).select_related("session"))
    promised_storage = " ".join(letter.promised_storage.split()).casefold()
    if live and not promised_storage:
        check.storage.append(_("The letter does not say where recordings are stored."))
    elif promised_storage:
        for recording in live:
            location = " ".join(recording.storage_location.split()).casefold()
            if not location:
                check.storage.append(
                    _("Recording of %(session)s: no storage location recorded.") % {"session": recording.session.code}
                )
            elif location not in promised_storage and promised_storage not in location:
                check.storage.append(
                    _("Recording of %(session)s is stored on “%(location)s”, but the letter promises “%(promise)s”.")
                    % {
                        "session": recording.session.code,
                        "location": recording.storage_location,
                        "promise": letter.promised_storage,
                    }
                )

    promised = letter.promised_deletion
    if promised is None:
        check.deletion.append(_("The letter records no date by which data is deleted."))
        return check
    for recording in live:
        if recording.deletion_due and recording.deletion_due > promised:
            check.deletion.append(
                _("Recording of %(session)s is due for deletion on %(due)s, after the promised %(promised)s.")
                % {"session": recording.session.code, "due": recording.deletion_due, "promised": promised}
            )
    late = Recording.objects.filter(session__study=study, deleted_on__gt=promised).select_related("session")
    for recording in late:
        check.deletion.append(
            _("Recording of %(session)s was deleted on %(deleted)s, after the promised %(promised)s.")
            % {"session": recording.session.code, "deleted": recording.deleted_on, "promised": promised}
        )
    if study.end_date and study.end_date > promised:
        check.deletion.append(
            _("The project ends on %(end)s, after the deletion the letter promised (%(promised)s).")
            % {"end": study.end_date, "promised": promised}
        )
    due = end_action_due(study, today=today)
    if study.end_action_done_at is None and due and study.end_date and due > study.end_date and due > promised:
        check.deletion.append(
            _(
                "The end action can only run on %(due)s (a full notice period after the reminder), after the promised %(promised)s."
            )
            % {"due": due, "promised": promised}
        )
    return check


# The timeline ---------------------------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    date: dt.date | None
    title: str
    detail: str = ""
    state: str = "planned"  # planned | due | overdue | done


def lifecycle_plan(study: Study, *, today: dt.date | None = None) -> list[TimelineEntry]:
    """What will happen when, in date order; entries without a date last."""
    from interviews.models import Recording

    today = today or timezone.localdate()
    entries: list[TimelineEntry] = []
    if study.end_date is None:
        entries.append(
            TimelineEntry(None, _("No project end date"), _("Set the end date on the study plan."), "overdue")
        )
    else:
        reminded = study.end_reminder_sent_at is not None
        entries.append(
            TimelineEntry(
                timezone.localdate(study.end_reminder_sent_at) if reminded else reminder_due(study),
                _("Reminder to the project owner"),
                _("%(days)d days before the end date, by e-mail.") % {"days": settings.STUDY_END_REMINDER_DAYS},
                "done" if reminded else "planned",
            )
        )
        entries.append(
            TimelineEntry(study.end_date, _("Project end date"), "", "done" if study.end_date <= today else "planned")
        )
        done = study.end_action_done_at is not None
        entries.append(
            TimelineEntry(
                timezone.localdate(study.end_action_done_at) if done else end_action_due(study, today=today),
                _("End action: %(action)s") % {"action": Study.EndAction(study.end_action).label},
                "",
                "done" if done else "planned",
            )
        )
    letter = current_letter(study)
    if letter is not None and letter.promised_deletion:
        entries.append(
            TimelineEntry(
                letter.promised_deletion,
                _("Deletion promised by the information letter %(version)s") % {"version": letter.version},
                "",
                "due" if letter.promised_deletion <= today and study.end_action_done_at is None else "planned",
            )
        )
    for recording in (
        Recording.objects.filter(session__study=study).select_related("session").order_by("deletion_due", "pk")
    ):
        title = _("Recording of %(session)s deleted") % {"session": recording.session.code}
        if recording.deleted_on:
            entries.append(TimelineEntry(recording.deleted_on, title, recording.device, "done"))
        elif recording.deletion_due is None:
            entries.append(TimelineEntry(None, title, _("No deletion date recorded."), "overdue"))
        else:
            state = "overdue" if recording.deletion_due < today else "planned"
            entries.append(TimelineEntry(recording.deletion_due, title, recording.device, state))
    return sorted(entries, key=lambda e: (e.date is None, e.date or dt.date.max))


def lifecycle_events(study: Study) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(study=study, action__in=LIFECYCLE_ACTIONS)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def withdrawals(study: Study) -> QuerySet[WithdrawalTombstone]:
    return (
        WithdrawalTombstone.objects.filter(study=study).select_related("performed_by").order_by("-performed_at", "-id")
    )
