"""Approvals (Sikt, organisation, gatekeepers) and their condition checklists."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from cases.models import Approval, ApprovalCondition, Study, User

from .audit import audit_record
from .files import stored_file_attach, stored_file_check, uploads_discarded_on_failure
from .records import record_create, record_update


def _attach_letter(approval: Approval, actor: User, letter: UploadedFile | None) -> None:
    stored_file_attach(
        instance=approval,
        field_name="letter",
        study=approval.study,
        actor=actor,
        upload=letter,
        action="approval.letter_attached",
        label=approval.get_kind_display(),
    )


def _conditions_replace(approval: Approval, actor: User, conditions: list[str] | None) -> None:
    """Make the checklist match ``conditions``; a condition kept by its text keeps its tick."""
    if conditions is None:
        return
    existing = {c.text: c for c in approval.conditions.all()}
    before = [c.text for c in existing.values()]
    keep = []
    for position, text in enumerate(t.strip() for t in conditions):
        if not text:
            continue
        condition = existing.get(text)
        if condition is None:
            condition = ApprovalCondition.objects.create(approval=approval, text=text, position=position)
        elif condition.position != position:
            ApprovalCondition.objects.filter(pk=condition.pk).update(position=position)
        keep.append(condition.pk)
    approval.conditions.exclude(pk__in=keep).delete()
    after = [t.strip() for t in conditions if t.strip()]
    if after != before:
        audit_record(
            study=approval.study,
            actor=actor,
            action="approval.conditions_changed",
            target=approval,
            label=approval.get_kind_display(),
            count=len(after),
        )


def approval_create(
    *, study: Study, actor: User, letter: UploadedFile | None = None, conditions: list[str] | None = None, **fields: Any
) -> Approval:
    """Record an approval with its conditions and letter.

    Before: ``letter``, if given, is a readable PDF (checked here before any write).
    After: the approval, its conditions and the stored letter, or nothing at all.
    """
    if letter is not None:
        stored_file_check(letter)
    with uploads_discarded_on_failure(), transaction.atomic():
        approval = Approval(study=study, **fields)
        record_create(
            study=study, actor=actor, instance=approval, action="approval.created", label=approval.get_kind_display()
        )
        _conditions_replace(approval, actor, conditions)
        _attach_letter(approval, actor, letter)
    return approval


def approval_update(
    *,
    approval: Approval,
    actor: User,
    data: dict[str, Any],
    letter: UploadedFile | None = None,
    conditions: list[str] | None = None,
) -> Approval:
    """Change an approval; a new letter replaces the attached one (the old file stays in the study's files)."""
    if letter is not None:
        stored_file_check(letter)
    with uploads_discarded_on_failure(), transaction.atomic():
        record_update(
            study=approval.study,
            actor=actor,
            instance=approval,
            action="approval.updated",
            data=data,
            label=approval.get_kind_display(),
        )
        _conditions_replace(approval, actor, conditions)
        _attach_letter(approval, actor, letter)
    return approval


def approval_condition_set(*, condition: ApprovalCondition, actor: User, is_met: bool) -> None:
    with transaction.atomic():
        ApprovalCondition.objects.filter(pk=condition.pk).update(is_met=is_met)
        audit_record(
            study=condition.approval.study,
            actor=actor,
            action="approval.condition_checked" if is_met else "approval.condition_unchecked",
            target=condition.approval,
            label=condition.approval.get_kind_display(),
            condition_id=condition.pk,
        )


def sikt_answered(study: Study) -> bool:
    return Approval.objects.filter(study=study, kind=Approval.Kind.SIKT, state__in=Approval.CLEARED_STATES).exists()
