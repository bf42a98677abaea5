"""The codebook: a hierarchy of codes, each change audited."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from cases.models import Study, User
from cases.services.audit import audit_record
from interviews.models import Code


def code_create(*, study: Study, actor: User, name: str, parent: Code | None = None, **fields) -> Code:
    """Create a code at the end of its siblings.

    Before: ``parent`` (if any) is a code of ``study``. After: the code exists, validated and audited.
    """
    with transaction.atomic():
        if "position" not in fields:
            last = Code.objects.filter(study=study, parent=parent).aggregate(m=Max("position"))["m"]
            fields["position"] = 0 if last is None else last + 1
        code = Code(study=study, parent=parent, name=name.strip(), created_by=actor, **fields)
        code.full_clean()
        code.save()
        audit_record(study=study, actor=actor, action="code.created", target=code, label=code.name,
                     parent=parent.pk if parent else None)
    return code
