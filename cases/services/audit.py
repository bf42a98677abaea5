"""The audit trail: one row beside every change that matters."""

from __future__ import annotations

from typing import Any

from django.db import models

from cases.models import AuditEvent, Study, User


def audit_record(
    *,
    study: Study | None,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    label: str = "",
    **data: Any,
) -> AuditEvent:
    """Write an audit row. ``label`` and ``data`` must carry no personal data."""
    event = audit_event(study=study, actor=actor, action=action, target=target, label=label, **data)
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    study: Study | None,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    label: str = "",
    **data: Any,
) -> AuditEvent:
    """The audit row :func:`audit_record` writes, unsaved: for a service that writes it with other rows at once."""
    return AuditEvent(
        study=study,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=target.pk if target is not None else None,
        target_label=label[:200],
        data=data,
    )


def changed_fields(instance: models.Model, before: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in before.items() if getattr(instance, name) != value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}
