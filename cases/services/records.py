"""Creating and updating the study's plain records, each with its audit row.

The named services in the sibling modules call these two helpers so that every
write validates with ``full_clean()`` and is audited in the same transaction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

from cases.models import Study, User

from .audit import audit_record, changed_fields, snapshot

M = TypeVar("M", bound=models.Model)


def record_create(*, study: Study, actor: User, instance: M, action: str, label: str = "") -> M:
    with transaction.atomic():
        instance.full_clean()
        instance.save()
        audit_record(study=study, actor=actor, action=action, target=instance, label=label or str(instance))
    return instance


def record_update(*, study: Study, actor: User, instance: M, action: str, data: dict[str, Any], label: str = "") -> M:
    with transaction.atomic():
        # Compare with the stored row, not the instance: a ModelForm has already copied its input onto it.
        before = snapshot(type(instance)._default_manager.get(pk=instance.pk))
        for name, value in data.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        fields = changed_fields(instance, before)
        if fields:
            audit_record(study=study, actor=actor, action=action, target=instance, label=label or str(instance), fields=fields)
    return instance


def record_delete(*, study: Study, actor: User, instance: models.Model, action: str, label: str = "") -> None:
    with transaction.atomic():
        audit_record(study=study, actor=actor, action=action, target=instance, label=label or str(instance))
        instance.delete()
