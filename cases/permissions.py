"""The role policy: who may do what in a study.

Every view loads its study through :func:`get_study_for` and its objects
through :func:`get_object_in_study`; both answer 404 for anything outside the
user's studies, so an outsider cannot even learn that an object exists. A
member whose role lacks the action gets 403.

The policy is declared data, so tests can generate the role × action matrix
from it and check every URL against it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from .models import Membership, Study
from .precompiled import Precompiled, field_names, instance

if TYPE_CHECKING:
    from .models import User

Role = Membership.Role
M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    VIEW = "view"  # read the study's research data
    EDIT = "edit"  # change the study's research data
    MANAGE_MEMBERS = "manage_members"  # invite and remove people
    MANAGE_SETTINGS = "manage_settings"  # data-protection settings, delete the study
    REQUEST_REPORT = "request_report"
    VIEW_AUDIT = "view_audit"
    VIEW_KEY_LIST = "view_key_list"  # depends on the study's key-list setting too
    EDIT_KEY_LIST = "edit_key_list"


POLICY: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    # Co-researchers have equal rights, but only the owner changes the data-protection settings.
    Role.CO_RESEARCHER: frozenset(Action) - {Action.MANAGE_SETTINGS},
    # Supervisors read and comment; they never change the researcher's data.
    Role.SUPERVISOR: frozenset({Action.VIEW, Action.VIEW_AUDIT, Action.VIEW_KEY_LIST}),
}

KEY_LIST_ROLES: dict[str, frozenset[str]] = {
    Study.KeyListAccess.OWNER: frozenset({Role.OWNER}),
    Study.KeyListAccess.RESEARCHERS: frozenset({Role.OWNER, Role.CO_RESEARCHER}),
    Study.KeyListAccess.RESEARCHERS_AND_SUPERVISOR: frozenset({Role.OWNER, Role.CO_RESEARCHER, Role.SUPERVISOR}),
}


def role_allows(study: Study, role: str | None, action: Action) -> bool:
    if role is None or action not in POLICY.get(role, frozenset()):
        return False
    if action in (Action.VIEW_KEY_LIST, Action.EDIT_KEY_LIST):
        return role in KEY_LIST_ROLES[study.key_list_access]
    return True


def studies_for(user: User) -> models.QuerySet[Study]:
    """The studies a user belongs to: the selector paired with :func:`get_study_for`."""
    if not user.is_authenticated:
        return Study.objects.none()
    return Study.objects.filter(memberships__user=user)


def role_in(study: Study, user: User) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(study=study, user=user).values_list("role", flat=True).first()


# Every study page runs it: compiled once (cases/precompiled.py).
_MEMBERSHIP_WITH_STUDY = Precompiled(
    lambda study, user: Membership.objects.filter(study_id=study, user_id=user).values_list(
        "role", *field_names(Study, "study__")
    ),
    "study",
    "user",
)


def get_study_for(user: User, study_id: int, action: Action = Action.VIEW) -> tuple[Study, str]:
    """The study and the user's role in it; 404 for non-members, 403 for a role without the action."""
    if not user.is_authenticated:
        raise Http404("No such study.")
    rows = _MEMBERSHIP_WITH_STUDY.rows(model=Membership, study=study_id, user=user.pk)
    if not rows:
        raise Http404("No such study.")
    role, *values = rows[0]
    study = instance(Study, tuple(values), _MEMBERSHIP_WITH_STUDY.alias(Membership))
    if not role_allows(study, role, action):
        raise PermissionDenied
    return study, role


def get_object_in_study(queryset: models.QuerySet[M] | type[M], study: Study, pk: int, *, path: str = "study") -> M:
    """Load one object of ``study``; 404 if it does not exist or belongs to another study."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    obj = queryset.filter(**{path: study, "pk": pk}).first()
    if obj is None:
        raise Http404("No such object in this study.")
    return obj
