"""Sites, informant groups, informants, their typed attributes and the key list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import (
    AttributeDefinition,
    AttributeValue,
    IdentityRecord,
    Informant,
    InformantGroup,
    Site,
    Study,
    User,
)

from .audit import audit_record
from .records import record_create, record_delete, record_update


def attribute_parse(definition: AttributeDefinition, raw: Any) -> dict[str, Any]:
    """The typed columns for ``raw`` under ``definition``; ValidationError with a readable message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    kind = definition.kind
    if kind == AttributeDefinition.Kind.NUMBER:
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise ValidationError(
                _("%(name)s must be a number, not “%(value)s”.") % {"name": definition.name, "value": raw}
            ) from None
        if not number.is_finite():
            raise ValidationError(
                _("%(name)s must be a number, not “%(value)s”.") % {"name": definition.name, "value": raw}
            )
        return {"value_number": number, "value_text": f"{number.normalize():f}"}
    if kind == AttributeDefinition.Kind.DATE:
        if isinstance(raw, dt.date):
            value = raw
        else:
            try:
                value = dt.date.fromisoformat(str(raw).strip())
            except ValueError:
                raise ValidationError(
                    _("%(name)s must be a date like 2017-01-31, not “%(value)s”.")
                    % {"name": definition.name, "value": raw}
                ) from None
        return {"value_date": value, "value_text": value.isoformat()}
    text = str(raw).strip()
    if kind == AttributeDefinition.Kind.CHOICE and text not in definition.choices:
        raise ValidationError(
            _("%(name)s must be one of %(choices)s, not “%(value)s”.")
            % {"name": definition.name, "choices": ", ".join(definition.choices), "value": text}
        )
    if len(text) > 300:
        raise ValidationError(_("%(name)s is longer than 300 characters.") % {"name": definition.name})
    return {"value_text": text}


def _attributes_apply(informant: Informant, attributes: dict[AttributeDefinition, Any]) -> None:
    for definition, raw in attributes.items():
        values = attribute_parse(definition, raw)
        if not values:
            AttributeValue.objects.filter(informant=informant, definition=definition).delete()
            continue
        row = AttributeValue(
            informant=informant,
            definition=definition,
            value_text=values.get("value_text", ""),
            value_number=values.get("value_number"),
            value_date=values.get("value_date"),
        )
        AttributeValue.objects.update_or_create(
            informant=informant,
            definition=definition,
            defaults={"value_text": row.value_text, "value_number": row.value_number, "value_date": row.value_date},
        )


def informant_create(
    *, study: Study, actor: User, attributes: dict[AttributeDefinition, Any] | None = None, **fields: Any
) -> Informant:
    with transaction.atomic():
        informant = Informant(study=study, **fields)
        if Informant.objects.filter(study=study, code=informant.code).exists():
            raise ValidationError(
                {"code": _("An informant with the code %(code)s already exists.") % {"code": informant.code}}
            )
        record_create(study=study, actor=actor, instance=informant, action="informant.created", label=informant.code)
        _attributes_apply(informant, attributes or {})
    return informant


def informant_update(
    *, informant: Informant, actor: User, data: dict[str, Any], attributes: dict[AttributeDefinition, Any] | None = None
) -> Informant:
    with transaction.atomic():
        if (
            "code" in data
            and Informant.objects.filter(study_id=informant.study_id, code=data["code"])
            .exclude(pk=informant.pk)
            .exists()
        ):
            raise ValidationError(
                {"code": _("An informant with the code %(code)s already exists.") % {"code": data["code"]}}
            )
        record_update(
            study=informant.study,
            actor=actor,
            instance=informant,
            action="informant.updated",
            data=data,
            label=informant.code,
        )
        if attributes:
            _attributes_apply(informant, attributes)
            audit_record(
                study=informant.study,
                actor=actor,
                action="informant.attributes_updated",
                target=informant,
                label=informant.code,
                attributes=sorted(d.name for d in attributes),
            )
    return informant


def site_create(*, study: Study, actor: User, **fields: Any) -> Site:
    site = Site(study=study, **fields)
    _unique_check(Site.objects.filter(study=study, pseudonym=site.pseudonym), "pseudonym", site.pseudonym)
    return record_create(study=study, actor=actor, instance=site, action="site.created", label=site.pseudonym)


def site_update(*, site: Site, actor: User, data: dict[str, Any]) -> Site:
    if "pseudonym" in data:
        others = Site.objects.filter(study_id=site.study_id, pseudonym=data["pseudonym"]).exclude(pk=site.pk)
        _unique_check(others, "pseudonym", data["pseudonym"])
    return record_update(
        study=site.study, actor=actor, instance=site, action="site.updated", data=data, label=site.pseudonym
    )


def site_delete(*, site: Site, actor: User) -> None:
    """Delete a site no informant belongs to; a site in use should be marked dropped instead."""
    used = site.informants.count()
    if used:
        raise ValidationError(
            ngettext(
                "%(name)s has %(n)d informant. Move them first, or mark the site as dropped.",
                "%(name)s has %(n)d informants. Move them first, or mark the site as dropped.",
                used,
            )
            % {"name": site.pseudonym, "n": used}
        )
    record_delete(study=site.study, actor=actor, instance=site, action="site.deleted", label=site.pseudonym)


def group_create(*, study: Study, actor: User, **fields: Any) -> InformantGroup:
    if fields.get("position") is None:
        fields["position"] = InformantGroup.objects.filter(study=study).count() + 1
    group = InformantGroup(study=study, **fields)
    _unique_check(InformantGroup.objects.filter(study=study, label=group.label), "label", group.label)
    return record_create(study=study, actor=actor, instance=group, action="group.created", label=group.label)


def group_update(*, group: InformantGroup, actor: User, data: dict[str, Any]) -> InformantGroup:
    if "label" in data:
        others = InformantGroup.objects.filter(study_id=group.study_id, label=data["label"]).exclude(pk=group.pk)
        _unique_check(others, "label", data["label"])
    return record_update(
        study=group.study, actor=actor, instance=group, action="group.updated", data=data, label=group.label
    )


def group_delete(*, group: InformantGroup, actor: User) -> None:
    used = group.informants.count()
    if used:
        raise ValidationError(
            ngettext(
                "%(name)s has %(n)d informant. Move them to another group first.",
                "%(name)s has %(n)d informants. Move them to another group first.",
                used,
            )
            % {"name": group.label, "n": used}
        )
    record_delete(study=group.study, actor=actor, instance=group, action="group.deleted", label=group.label)


def attribute_definition_create(*, study: Study, actor: User, **fields: Any) -> AttributeDefinition:
    if fields.get("position") is None:
        fields["position"] = AttributeDefinition.objects.filter(study=study).count() + 1
    definition = AttributeDefinition(study=study, **fields)
    _unique_check(AttributeDefinition.objects.filter(study=study, name=definition.name), "name", definition.name)
    return record_create(
        study=study, actor=actor, instance=definition, action="attribute.created", label=definition.name
    )


def attribute_definition_update(
    *, definition: AttributeDefinition, actor: User, data: dict[str, Any]
) -> AttributeDefinition:
    """Rename, reorder or extend an attribute.

    Stored values must stay readable: the type of an attribute with values
    cannot change, and a choice that informants have cannot be removed.
    """
    with transaction.atomic():
        if "name" in data:
            others = AttributeDefinition.objects.filter(study_id=definition.study_id, name=data["name"])
            _unique_check(others.exclude(pk=definition.pk), "name", data["name"])
        values = AttributeValue.objects.filter(definition=definition)
        if data.get("kind", definition.kind) != definition.kind and values.exists():
            raise ValidationError(
                {
                    "kind": _("Informants already have values for %(name)s, so its type cannot change.")
                    % {"name": definition.name}
                }
            )
        if definition.kind == AttributeDefinition.Kind.CHOICE and "choices" in data:
            removed = set(definition.choices) - set(data["choices"] or [])
            in_use = sorted(set(values.filter(value_text__in=removed).values_list("value_text", flat=True)))
            if in_use:
                raise ValidationError(
                    {
                        "choices": _("These choices are in use and cannot be removed: %(choices)s.")
                        % {"choices": ", ".join(in_use)}
                    }
                )
        return record_update(
            study=definition.study,
            actor=actor,
            instance=definition,
            action="attribute.updated",
            data=data,
            label=definition.name,
        )


def attribute_definition_delete(*, definition: AttributeDefinition, actor: User) -> int:
    """Delete an attribute and every informant's value of it; returns how many values went."""
    with transaction.atomic():
        count = AttributeValue.objects.filter(definition=definition).count()
        audit_record(
            study=definition.study,
            actor=actor,
            action="attribute.deleted",
            target=definition,
            label=definition.name,
            values_deleted=count,
        )
        definition.delete()
    return count


def _unique_check(others, field: str, value: str) -> None:
    if others.exists():
        raise ValidationError({field: _("“%(value)s” is already used in this study.") % {"value": value}})


def identity_read(*, informant: Informant, actor: User, purpose: str = "view") -> IdentityRecord | None:
    """Read an informant's key-list entry and log the read, whether or not one exists.

    Callers must have checked ``Action.VIEW_KEY_LIST`` for ``actor``.
    """
    record = IdentityRecord.objects.filter(informant=informant).first()
    audit_record(
        study=informant.study,
        actor=actor,
        action="identity.viewed",
        target=informant,
        label=informant.code,
        purpose=purpose,
    )
    return record


def identity_list(*, study: Study, actor: User) -> list[IdentityRecord]:
    """The whole key list of a study; one audit row records the read and which codes it showed."""
    records = list(
        IdentityRecord.objects.filter(informant__study=study).select_related("informant").order_by("informant__code")
    )
    audit_record(
        study=study,
        actor=actor,
        action="identity.list_viewed",
        label=_("Key list"),
        informants=[r.informant.code for r in records],
    )
    return records


def identity_save(*, informant: Informant, actor: User, **fields: Any) -> IdentityRecord:
    with transaction.atomic():
        record = IdentityRecord.objects.filter(informant=informant).first()
        created = record is None
        if created:
            record = IdentityRecord(informant=informant)
        for name, value in fields.items():
            setattr(record, name, value)
        record.full_clean()
        record.save()
        # Field names only: the audit trail never holds the identity itself.
        audit_record(
            study=informant.study,
            actor=actor,
            action="identity.created" if created else "identity.updated",
            target=informant,
            label=informant.code,
            fields=sorted(k for k, v in fields.items() if v),
        )
    return record
