"""The study's audit page: one timeline of our audit events and the field history of sensitive records.

Two sources feed it. ``AuditEvent`` rows are domain events written by services in
the same transaction as the change ("consent recorded", "key list viewed").
django-simple-history rows are the per-save shadow copies of ``ConsentRecord``,
``IdentityRecord``, ``Approval`` and ``Excerpt``; they say *which fields* changed
even when a change bypassed a service (the admin, a shell). The page shows field
names only: never a value from the key list, never an excerpt's text.

A page is read with a fixed number of queries whatever its length: a count and a
``UNION`` of keys, then one query per source for the rows on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _

from cases.models import Approval, AuditEvent, ConsentRecord, IdentityRecord, Study, User
from interviews.models import Excerpt

PAGE_SIZE = 50

# What people read for our action codes. A code missing here is shown as it is.
ACTION_LABELS: dict[str, Any] = {
    "study.created": _("Study created"),
    "study.updated": _("Study details changed"),
    "research_question.created": _("Research question added"),
    "research_question.updated": _("Research question changed"),
    "research_question.moved": _("Research question moved"),
    "research_question.deleted": _("Research question deleted"),
    "invitation.created": _("Invitation sent"),
    "invitation.revoked": _("Invitation revoked"),
    "membership.added": _("Member added"),
    "membership.joined": _("Member joined"),
    "membership.removed": _("Member removed"),
    "site.created": _("Site added"),
    "site.updated": _("Site changed"),
    "site.deleted": _("Site deleted"),
    "group.created": _("Informant group added"),
    "group.updated": _("Informant group changed"),
    "group.deleted": _("Informant group deleted"),
    "attribute.created": _("Informant attribute added"),
    "attribute.updated": _("Informant attribute changed"),
    "attribute.deleted": _("Informant attribute deleted"),
    "informant.created": _("Informant added"),
    "informant.imported": _("Informants imported"),
    "informant.updated": _("Informant changed"),
    "informant.attributes_updated": _("Informant attributes changed"),
    "informant.withdrawn": _("Informant withdrawn"),
    "informant.anonymised": _("Informant anonymised"),
    "identity.created": _("Key list entry created"),
    "identity.updated": _("Key list entry changed"),
    "identity.viewed": _("Key list entry viewed"),
    "identity.list_viewed": _("Key list viewed"),
    "identity.deleted": _("Key list entry deleted"),
    "approval.created": _("Approval added"),
    "approval.updated": _("Approval changed"),
    "approval.letter_attached": _("Approval letter attached"),
    "approval.conditions_changed": _("Approval conditions changed"),
    "approval.condition_checked": _("Approval condition marked as met"),
    "approval.condition_unchecked": _("Approval condition marked as not met"),
    "file.downloaded": _("File downloaded"),
    "information_letter.created": _("Information letter added"),
    "information_letter.updated": _("Information letter changed"),
    "information_letter.file_attached": _("Information letter file attached"),
    "consent.recorded": _("Consent recorded"),
    "consent.withdrawn": _("Consent withdrawn"),
    "instrument.created": _("Instrument added"),
    "instrument.updated": _("Instrument changed"),
    "instrument.version_copied": _("Instrument version copied"),
    "guide.theme_added": _("Guide theme added"),
    "guide.theme_updated": _("Guide theme changed"),
    "guide.theme_moved": _("Guide theme moved"),
    "guide.theme_deleted": _("Guide theme deleted"),
    "guide.question_added": _("Guide question added"),
    "guide.question_updated": _("Guide question changed"),
    "guide.question_moved": _("Guide question moved"),
    "guide.question_deleted": _("Guide question deleted"),
    "guide.prompt_added": _("Guide prompt added"),
    "guide.prompt_updated": _("Guide prompt changed"),
    "guide.prompt_moved": _("Guide prompt moved"),
    "guide.prompt_deleted": _("Guide prompt deleted"),
    "session.created": _("Session added"),
    "session.updated": _("Session changed"),
    "attendance.set": _("Attendance recorded"),
    "attendance.removed": _("Attendance removed"),
    "recording.created": _("Recording added"),
    "recording.updated": _("Recording changed"),
    "recording.deleted": _("Recording deleted"),
    "source.created": _("Source imported"),
    "source.updated": _("Source details changed"),
    "source.normalised": _("Source normalised"),
    "source.version_created": _("New source version"),
    "source.speakers_mapped": _("Speakers mapped"),
    "source.deleted": _("Source deleted"),
    "code.created": _("Code added"),
    "code.updated": _("Code changed"),
    "code.moved": _("Code moved"),
    "code.reordered": _("Code reordered"),
    "code.merged": _("Codes merged"),
    "code.dropped": _("Code dropped"),
    "code.deleted": _("Code deleted"),
    "codebook.seeded": _("Codebook seeded"),
    "codebook.imported": _("Codebook imported"),
    "memo.created": _("Memo written"),
    "memo.updated": _("Memo changed"),
    "memo.deleted": _("Memo deleted"),
    "excerpt.created": _("Excerpt coded"),
    "excerpt.adjusted": _("Excerpt boundaries adjusted"),
    "excerpt.code_added": _("Code added to excerpt"),
    "excerpt.code_removed": _("Code removed from excerpt"),
    "excerpt.details_changed": _("Excerpt details changed"),
    "excerpt.deleted": _("Excerpt deleted"),
    "coding.undone": _("Coding undone"),
    "report.requested": _("Report requested"),
    "report.generated": _("Report generated"),
    "report.downloaded": _("Report downloaded"),
    "report.invalidated": _("Report withdrawn from download"),
    "site.real_name_updated": _("Site's real name changed"),
    "site.real_name_viewed": _("Site's real name viewed"),
    "sensitive_term.created": _("Sensitive term added"),
    "sensitive_term.deleted": _("Sensitive term deleted"),
    "sensitive_terms.viewed": _("Sensitive terms viewed"),
    "lifecycle.reminded": _("End-date reminder sent"),
    "lifecycle.end_action_changed": _("End-of-study action changed"),
    "lifecycle.anonymised": _("Study anonymised at its end date"),
    "lifecycle.deleted": _("Study data deleted at its end date"),
}

HISTORY_TYPE_LABELS: dict[str, Any] = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass(frozen=True)
class Area:
    label: Any
    action_prefixes: tuple[str, ...]
    history_kinds: tuple[str, ...] = ()


AREAS: dict[str, Area] = {
    "consent": Area(_("Consent"), ("consent.", "information_letter.", "informant.withdrawn"), ("consent",)),
    "identity": Area(
        _("Identity key"), ("identity.", "site.real_name_", "sensitive_term.", "sensitive_terms."), ("identity",)
    ),
    "approvals": Area(_("Approvals"), ("approval.",), ("approval",)),
    "excerpts": Area(_("Excerpts"), ("excerpt.", "coding."), ("excerpt",)),
    "reports": Area(_("Reports"), ("report.",)),
    "members": Area(_("Members"), ("membership.", "invitation.")),
}


@dataclass(frozen=True)
class HistorySource:
    """One model under django-simple-history, and how its rows are scoped to a study."""

    model: type[models.Model]
    in_study: str  # lookup on the historical model that names the study
    related: tuple[str, ...] = ()

    @property
    def history_model(self) -> type[models.Model]:
        return self.model.history.model  # type: ignore[attr-defined]


HISTORY: dict[str, HistorySource] = {
    "consent": HistorySource(ConsentRecord, "informant__study", ("informant",)),
    "identity": HistorySource(IdentityRecord, "informant__study", ("informant",)),
    "approval": HistorySource(Approval, "study"),
    "excerpt": HistorySource(Excerpt, "study"),
}
AUDIT = "audit"


@dataclass
class TimelineEntry:
    when: datetime
    actor: User | None
    label: Any
    code: str = ""
    record: str = ""
    fields: list[str] = field(default_factory=list)
    # Pairs, not a dict: a data key such as "items" must not shadow dict.items in the template.
    details: list[tuple[str, Any]] = field(default_factory=list)
    is_history: bool = False


def action_label(action: str) -> Any:
    return ACTION_LABELS.get(action, action)


def _audit_keys(study: Study, area: Area | None) -> models.QuerySet:
    events = AuditEvent.objects.filter(study=study)
    if area is not None:
        if not area.action_prefixes:
            return events.none()
        prefixes = Q()
        for prefix in area.action_prefixes:
            prefixes |= Q(action__startswith=prefix)
        events = events.filter(prefixes)
    return (
        events.order_by()
        .annotate(
            timeline_kind=Value(AUDIT, output_field=models.CharField()),
            timeline_row=F("id"),
            timeline_when=F("created_at"),
        )
        .values_list("timeline_kind", "timeline_row", "timeline_when")
    )


def _history_keys(kind: str, study: Study) -> models.QuerySet:
    source = HISTORY[kind]
    return (
        source.history_model.objects.filter(**{source.in_study: study})
        .order_by()
        .annotate(
            timeline_kind=Value(kind, output_field=models.CharField()),
            timeline_row=F("history_id"),
            timeline_when=F("history_date"),
        )
        .values_list("timeline_kind", "timeline_row", "timeline_when")
    )


def timeline_keys(study: Study, area_name: str = "") -> models.QuerySet:
    """``(kind, row id, when)`` of every entry, newest first, as one ``UNION`` query."""
    area = AREAS.get(area_name)
    kinds = HISTORY.keys() if area is None else area.history_kinds
    keys = _audit_keys(study, area)
    others = [_history_keys(kind, study) for kind in kinds]
    if others:
        keys = keys.union(*others, all=True)
    return keys.order_by("-timeline_when", "-timeline_row")


def _changed_fields(history_model: type[models.Model], row: Any, previous: Any | None) -> list[str]:
    """Verbose names of the fields that differ from the previous version – never the values."""
    if previous is None or row.history_type != "~":
        return []
    names = []
    for model_field in history_model.tracked_fields:  # type: ignore[attr-defined]
        if getattr(model_field, "auto_now", False) or model_field.primary_key:
            continue
        if getattr(row, model_field.attname) != getattr(previous, model_field.attname):
            names.append(str(model_field.verbose_name))
    return names


def _record_label(kind: str, row: Any) -> str:
    if kind in ("consent", "identity"):
        return row.informant.code if row.informant is not None else f"#{row.informant_id}"
    if kind == "approval":
        return row.get_kind_display()
    return f"{row.source_id}:{row.start}–{row.end}"


def _history_entries(kind: str, ids: list[int]) -> dict[int, TimelineEntry]:
    """The entries for history rows ``ids``, with the fields each changed: one query."""
    source = HISTORY[kind]
    history_model = source.history_model
    object_ids = history_model.objects.filter(history_id__in=ids).values("id")
    versions = (
        history_model.objects.filter(id__in=object_ids)
        .select_related("history_user", *source.related)
        .order_by("id", "history_date", "history_id")
    )
    entries: dict[int, TimelineEntry] = {}
    previous = None
    wanted = set(ids)
    for version in versions:
        if previous is not None and previous.id != version.id:
            previous = None
        if version.history_id in wanted:
            entries[version.history_id] = TimelineEntry(
                when=version.history_date,
                actor=version.history_user,
                label=source.model._meta.verbose_name,
                code=str(HISTORY_TYPE_LABELS.get(version.history_type, version.history_type)),
                record=_record_label(kind, version),
                fields=_changed_fields(history_model, version, previous),
                is_history=True,
            )
        previous = version
    return entries


def _audit_entries(ids: list[int]) -> dict[int, TimelineEntry]:
    return {
        event.pk: TimelineEntry(
            when=event.created_at,
            actor=event.actor,
            label=action_label(event.action),
            code=event.action,
            record=event.target_label,
            fields=[str(name) for name in event.data.get("fields", [])] if isinstance(event.data, dict) else [],
            details=[(key, value) for key, value in event.data.items() if key != "fields"]
            if isinstance(event.data, dict)
            else {},
        )
        for event in AuditEvent.objects.filter(pk__in=ids).select_related("actor")
    }


def audit_timeline_page(study: Study, *, area: str = "", page_number: Any = None) -> Page:
    """One page of the study's timeline; ``page.object_list`` holds ``TimelineEntry`` items.

    Queries: a count and the page's keys, then one per source present on the page.
    """
    page = Paginator(timeline_keys(study, area), PAGE_SIZE).get_page(page_number)
    wanted: dict[str, list[int]] = {}
    for kind, row, _when in page.object_list:
        wanted.setdefault(kind, []).append(row)
    found: dict[str, dict[int, TimelineEntry]] = {}
    for kind, ids in wanted.items():
        found[kind] = _audit_entries(ids) if kind == AUDIT else _history_entries(kind, ids)
    page.object_list = [found[kind][row] for kind, row, _when in page.object_list if row in found[kind]]
    return page
