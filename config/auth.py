"""Authentication backend: Django's ``ModelBackend``, with the user of every request read by a precompiled query.

Every request of a logged-in user loads the user by the key in its session
(``ModelBackend.get_user``). Through the ORM that is a compile and a query; compiling
costs more than running it (``User.objects.get(pk=…)`` 1.6 ms against 0.7 ms precompiled on
our 2-core machine; ``cases/precompiled.py``). Logging in, permissions and the checks
are Django's own.

A study page needs the user's membership of its study next: inside
``cases.permissions.membership_with_user`` the same query reads it
(``cases.permissions.user_with_membership``), one round trip fewer on every study page.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import PermissionDenied

from cases.permissions import study_wanted, user_with_membership
from cases.precompiled import Precompiled, field_names, instance

_USER = Precompiled(
    lambda pk: get_user_model()._default_manager.filter(pk=pk).values_list(*field_names(get_user_model())), "pk"
)


class ModelBackend(DjangoModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        """Django's check; a failure stops there, so the legacy entry in the settings never hashes the password again."""
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        # user_id is already a key: django.contrib.auth.get_user converted it.
        study_id = study_wanted()
        if study_id is not None:
            user = user_with_membership(user_id, study_id)
        else:
            User = get_user_model()
            rows = _USER.rows(model=User, pk=user_id)
            user = instance(User, rows[0], _USER.alias(User)) if rows else None
        return user if user is not None and self.user_can_authenticate(user) else None
