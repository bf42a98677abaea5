"""The role policy: who may do what in a study.

Every view loads its study through :func:`get_study_for` and its objects
through :func:`get_object_in_study`; both answer 404 for anything outside the
user's studies, so an outsider cannot even learn that an object exists. A
member whose role lacks the action gets 403.

The policy is declared data, so tests can generate the role × action matrix
from it and check every URL against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from django.contrib.auth import get_user_model
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

# The user of a request with its membership of the study the URL names, when no one has read the user yet
# (cases.views.base.study_view): one query instead of two, the user's and _MEMBERSHIP_WITH_STUDY's.
_USER_WITH_MEMBERSHIP = Precompiled(
    lambda pk, study: (
        get_user_model()
        ._default_manager.filter(pk=pk)
        .annotate(
            wanted=models.FilteredRelation("memberships", condition=models.Q(memberships__study_id=study)),
            # Nested, so that the study is joined after the membership (from "wanted__study__…" Django 5.2
            # puts the study's join first, and PostgreSQL refuses it).
            wanted_study=models.FilteredRelation("wanted__study"),
        )
        .values_list(*field_names(get_user_model()), "wanted__role", *field_names(Study, "wanted_study__"))
    ),
    "pk",
    "study",
)


_STUDY_WANTED: ContextVar[int | None] = ContextVar("study_wanted", default=None)


@contextmanager
def membership_with_user(study_id: int) -> Iterator[None]:
    """A user read inside (``request.user``, the first time it is touched) brings its membership of ``study_id``.

    The authentication backend (``config.auth``) asks :func:`study_wanted` and reads the user with
    :func:`user_with_membership`; :func:`get_study_for` then needs no query of its own.
    """
    token = _STUDY_WANTED.set(study_id)
    try:
        yield
    finally:
        _STUDY_WANTED.reset(token)


def study_wanted() -> int | None:
    """The study whose membership a user read now should bring (:func:`membership_with_user`), if any."""
    return _STUDY_WANTED.get()


class _MembershipRead(NamedTuple):
    study_id: int
    role: str | None  # None: not a member
    study: Study | None


def _membership_read(study_id: int, row: tuple | None, alias: str) -> _MembershipRead:
    """The role and the study's fields as both queries give them (``row``), or None for no membership."""
    role, *values = row or (None,)
    return _MembershipRead(study_id, role, None if role is None else instance(Study, tuple(values), alias))


def user_with_membership(user_id, study_id: int) -> User | None:
    """The user ``user_id`` (None if there is none), carrying its membership of ``study_id`` for :func:`get_study_for`.

    For the authentication backend, which reads the user of a request (``config.auth``); Django then checks the
    session against the user as always, and a user it refuses is dropped with what it carries.
    """
    User = get_user_model()
    rows = _USER_WITH_MEMBERSHIP.rows(model=User, pk=user_id, study=study_id)
    if not rows:
        return None
    alias, width = _USER_WITH_MEMBERSHIP.alias(User), len(User._meta.concrete_fields)
    user = instance(User, rows[0][:width], alias)
    user.membership_read = _membership_read(study_id, rows[0][width:], alias)
    return user


def get_study_for(user: User, study_id: int, action: Action = Action.VIEW) -> tuple[Study, str]:
    """The study and the user's role in it; 404 for non-members, 403 for a role without the action.

    A user read by :func:`user_with_membership` for this study brings its membership along: no query.
    """
    if not user.is_authenticated:
        raise Http404("No such study.")
    read = getattr(user, "membership_read", None)
    if read is None or read.study_id != study_id:
        rows = _MEMBERSHIP_WITH_STUDY.rows(model=Membership, study=study_id, user=user.pk)
        read = _membership_read(study_id, rows[0] if rows else None, _MEMBERSHIP_WITH_STUDY.alias(Membership))
    if read.role is None:
        raise Http404("No such study.")
    if not role_allows(read.study, read.role, action):
        raise PermissionDenied
    return read.study, read.role


def get_object_in_study(queryset: models.QuerySet[M] | type[M], study: Study, pk: int, *, path: str = "study") -> M:
    """Load one object of ``study``; 404 if it does not exist or belongs to another study."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    obj = queryset.filter(**{path: study, "pk": pk}).first()
    if obj is None:
        raise Http404("No such object in this study.")
    return obj
