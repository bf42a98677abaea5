"""Memos on the study, a code or a source; audited by id only, because a memo's text is research data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Study, User
from cases.services.audit import audit_record, changed_fields, snapshot
from interviews.models import Code, Memo, Source

UPDATABLE_FIELDS = ("title", "text", "code", "source")


def _check_target(memo: Memo) -> None:
    if memo.code_id and memo.source_id:
        raise ValidationError(_("A memo is about the study, one code or one source, not several."))
    if memo.code_id and not Code.objects.filter(pk=memo.code_id, study_id=memo.study_id).exists():
        raise ValidationError({"code": _("The code belongs to another study.")})
    if memo.source_id and not Source.objects.filter(pk=memo.source_id, study_id=memo.study_id).exists():
        raise ValidationError({"source": _("The source belongs to another study.")})


def _target_ids(memo: Memo) -> dict[str, int | None]:
    return {"code": memo.code_id, "source": memo.source_id}


def memo_create(
    *, study: Study, actor: User, title: str, text: str, code: Code | None = None, source: Source | None = None
) -> Memo:
    """Write a memo; with neither ``code`` nor ``source`` it is a memo on the study.

    Before: the target (if any) belongs to ``study``. After: the memo and an audit row holding only ids exist.
    """
    memo = Memo(study=study, title=title.strip(), text=text, code=code, source=source, created_by=actor)
    with transaction.atomic():
        _check_target(memo)
        memo.full_clean()
        memo.save()
        audit_record(study=study, actor=actor, action="memo.created", target=memo, **_target_ids(memo))
    return memo


def memo_update(*, memo: Memo, actor: User, data: dict[str, Any]) -> Memo:
    """Change a memo's title, text or target (``code``/``source``, at most one)."""
    unknown = set(data) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"memo_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        before = snapshot(Memo.objects.get(pk=memo.pk))
        for name, value in data.items():
            setattr(memo, name, value.strip() if name == "title" else value)
        _check_target(memo)
        memo.full_clean()
        memo.save()
        fields = [name for name in changed_fields(memo, before) if name != "updated_at"]
        if fields:
            audit_record(
                study=memo.study, actor=actor, action="memo.updated", target=memo, fields=fields, **_target_ids(memo)
            )
    return memo


def memo_delete(*, memo: Memo, actor: User) -> None:
    with transaction.atomic():
        audit_record(study=memo.study, actor=actor, action="memo.deleted", target=memo, **_target_ids(memo))
        memo.delete()
