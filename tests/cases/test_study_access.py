"""A study page reads the user of the request and the user's membership of the study in one query.

``cases.views.base.study_view`` asks the authentication backend (``config.auth``) to read the
membership with the user; Django still checks the session against the user. These tests pin that
the shortcut grants nothing the separate reads would not.
"""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Membership
from cases.permissions import Action, get_study_for, user_with_membership
from tests.conftest import client_for
from tests.factories import StudyFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [query["sql"] for query in captured.captured_queries]


def test_the_user_and_the_membership_are_one_query(researcher_client, study):
    url = reverse("study_detail", args=[study.pk])
    researcher_client.get(url)  # session warm-up
    status, sqls = _queries(researcher_client, url)
    assert status == 200
    membership_reads = [sql for sql in sqls if '"cases_membership"' in sql and '"cases_user"' in sql]
    assert len(membership_reads) == 1
    assert sqls.index(membership_reads[0]) == sqls.index(next(sql for sql in sqls if '"cases_user"' in sql))
    assert not any('FROM "cases_membership"' in sql for sql in sqls)  # no second read of the membership


def test_a_non_member_gets_404_from_the_same_query(outsider_client, study):
    url = reverse("study_detail", args=[study.pk])
    outsider_client.get(reverse("home"))
    status, sqls = _queries(outsider_client, url)
    assert status == 404
    assert len([sql for sql in sqls if '"cases_membership"' in sql]) == 1


def test_the_role_read_with_the_user_still_decides(supervisor_client, researcher_client, study):
    settings_url = reverse("study_settings", args=[study.pk])
    assert supervisor_client.get(reverse("study_detail", args=[study.pk])).status_code == 200
    assert supervisor_client.get(settings_url).status_code == 403
    assert researcher_client.get(settings_url).status_code == 200


def test_a_changed_password_ends_the_session_despite_the_membership(researcher, study):
    client = client_for(researcher)
    url = reverse("study_detail", args=[study.pk])
    assert client.get(url).status_code == 200
    researcher.set_password("a-new-long-password-2026")
    researcher.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_inactive_user_is_logged_out_despite_the_membership(researcher, study):
    client = client_for(researcher)
    url = reverse("study_detail", args=[study.pk])
    researcher.is_active = False
    researcher.save(update_fields=["is_active"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_membership_removed_between_requests_is_not_remembered(researcher_client, supervisor, study):
    client = client_for(supervisor)
    url = reverse("study_detail", args=[study.pk])
    assert client.get(url).status_code == 200
    Membership.objects.filter(study=study, user=supervisor).delete()
    assert client.get(url).status_code == 404


def test_a_membership_read_for_one_study_is_not_used_for_another(researcher, study, django_assert_num_queries):
    other = StudyFactory(created_by=researcher, title="Another study")
    foreign = StudyFactory(title="Not hers")
    with django_assert_num_queries(1):
        user = user_with_membership(researcher.pk, study.pk)
    with django_assert_num_queries(0):
        assert get_study_for(user, study.pk, Action.VIEW)[0] == study
    with django_assert_num_queries(1):
        found, role = get_study_for(user, other.pk, Action.VIEW)
    assert (found, role) == (other, Membership.Role.OWNER)
    with django_assert_num_queries(1), pytest.raises(Http404):
        get_study_for(user, foreign.pk, Action.VIEW)


def test_a_user_read_for_a_study_they_are_not_in_carries_no_study(outsider, study):
    user = user_with_membership(outsider.pk, study.pk)
    assert user == outsider
    assert user.membership_read.role is None and user.membership_read.study is None
    with pytest.raises(Http404):
        get_study_for(user, study.pk, Action.VIEW)
    assert user_with_membership(10**9, study.pk) is None
