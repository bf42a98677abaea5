"""Approvals (Sikt, organisation, gatekeepers) and their condition checklists."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from cases.models import Approval, ApprovalCondition, Study, User

from .audit import audit_record
from .files import stored_file_create
from .records import record_create, record_update


def _attach_letter(approval: Approval, actor: User, letter: UploadedFile | None) -> None:
    if letter is None:
        return
    stored = stored_file_create(study=approval.study, actor=actor, upload=letter)
    approval.letter = stored
    approval.save(update_fields=["letter"])
    audit_record(study=approval.study, actor=actor, action="approval.letter_attached", target=approval,
                 label=approval.get_kind_display(), file_id=stored.pk)


def _conditions_replace(approval: Approval, conditions: list[str] | None) -> None:
    if conditions is None:
        return
    existing = {c.text: c for c in approval.conditions.all()}
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


def approval_create(
    *, study: Study, actor: User, letter: UploadedFile | None = None, conditions: list[str] | None = None, **fields: Any
) -> Approval:
    with transaction.atomic():
        approval = Approval(study=study, **fields)
        record_create(study=study, actor=actor, instance=approval, action="approval.created", label=approval.get_kind_display())
        _conditions_replace(approval, conditions)
        _attach_letter(approval, actor, letter)
    return approval


def approval_update(
    *, approval: Approval, actor: User, data: dict[str, Any], letter: UploadedFile | None = None, conditions: list[str] | None = None
) -> Approval:
    with transaction.atomic():
        record_update(study=approval.study, actor=actor, instance=approval, action="approval.updated", data=data,
                      label=approval.get_kind_display())
        _conditions_replace(approval, conditions)
        _attach_letter(approval, actor, letter)
    return approval


def approval_condition_set(*, condition: ApprovalCondition, actor: User, is_met: bool) -> None:
    with transaction.atomic():
        ApprovalCondition.objects.filter(pk=condition.pk).update(is_met=is_met)
        audit_record(study=condition.approval.study, actor=actor, action="approval.condition_checked" if is_met else "approval.condition_unchecked",
                     target=condition.approval, label=condition.approval.get_kind_display(), condition_id=condition.pk)


def sikt_answered(study: Study) -> bool:
    return Approval.objects.filter(study=study, kind=Approval.Kind.SIKT, state__in=Approval.CLEARED_STATES).exists()
