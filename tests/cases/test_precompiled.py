"""Queries compiled once: the same rows as the ORM, converted as the ORM converts them, with each call's values."""

from __future__ import annotations

import pytest
from django.db import connections
from django.http import Http404

from cases.models import IdentityRecord, Membership, Study
from cases.permissions import Action, get_study_for
from cases.precompiled import Precompiled, field_names, instance, prepared
from tests.factories import IdentityRecordFactory, InformantFactory, MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db

IDENTITY_OF = Precompiled(
    lambda informant: IdentityRecord.objects.filter(informant_id=informant).values_list(
        "full_name", "email", "informant__created_at"
    ),
    "informant",
)


def test_rows_match_the_orm_with_converters_applied_for_each_calls_values():
    first, second = IdentityRecordFactory(full_name="Kari Nordmann"), IdentityRecordFactory(full_name="Ola Hansen")
    for record in (first, second):
        expected = list(
            IdentityRecord.objects.filter(informant=record.informant).values_list(
                "full_name", "email", "informant__created_at"
            )
        )
        # The names are stored encrypted: from_db_value decrypts them, as in the ORM.
        assert IDENTITY_OF.rows(model=IdentityRecord, informant=record.informant_id) == expected
    assert IDENTITY_OF.rows(model=IdentityRecord, informant=InformantFactory().pk) == []


def test_compiled_once_per_connection(django_assert_num_queries):
    record = IdentityRecordFactory()
    IDENTITY_OF.rows(model=IdentityRecord, informant=record.informant_id)
    compiled = IDENTITY_OF.compiled(connections["default"])
    with django_assert_num_queries(1):
        IDENTITY_OF.rows(model=IdentityRecord, informant=record.informant_id)
    assert IDENTITY_OF.compiled(connections["default"]) is compiled


def test_a_stand_in_the_query_does_not_use_is_refused():
    unused = Precompiled(
        lambda study, user: Membership.objects.filter(study_id=study).values_list("role"), "study", "user"
    )
    with pytest.raises(AssertionError, match="exactly once"):
        unused.rows(model=Membership, study=1, user=2)


def test_instance_is_the_model_the_orm_would_load():
    study = StudyFactory()
    values = Study.objects.filter(pk=study.pk).values_list(*field_names(Study)).get()
    loaded = instance(Study, values)
    assert loaded == Study.objects.get(pk=study.pk)
    assert {f.attname: getattr(loaded, f.attname) for f in Study._meta.concrete_fields} == {
        f.attname: getattr(study, f.attname) for f in Study._meta.concrete_fields
    }
    assert not loaded._state.adding and loaded.get_deferred_fields() == set()


def test_get_study_for_loads_the_whole_study_and_the_role_and_refuses_outsiders():
    membership = MembershipFactory(role=Membership.Role.SUPERVISOR)
    study, role = get_study_for(membership.user, membership.study_id, Action.VIEW)
    assert (study, role) == (membership.study, Membership.Role.SUPERVISOR)
    assert study.title == membership.study.title and study.created_at == membership.study.created_at
    with pytest.raises(Http404):
        get_study_for(UserFactory(), membership.study_id)
    with pytest.raises(Http404):
        get_study_for(membership.user, 2**40)  # beyond any key: no error from the database, only 404


def _prepared_statements() -> list[str]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_only_the_statements_that_ask_are_prepared():
    """An aggregate over a study is never prepared: a generic plan made for small studies can be bad for a big one."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")  # CI runs PostgreSQL: never skipped there
    record = IdentityRecordFactory()
    for _ in range(10):
        list(IdentityRecord.objects.filter(informant_id=record.informant_id).values_list("email"))
    orm = 'SELECT "cases_identityrecord"."email" FROM'
    assert not any(statement.startswith(orm) for statement in _prepared_statements())
    IDENTITY_OF.rows(model=IdentityRecord, informant=record.informant_id)
    assert any('"full_name"' in statement for statement in _prepared_statements())
    with connections["default"].cursor(), prepared(connections["default"]):
        pass
    assert connections["default"].connection.prepare_threshold is None  # restored
