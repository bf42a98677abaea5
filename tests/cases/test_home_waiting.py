"""The home page: what waits for the supervisor, and the feedback waiting for the researcher."""

import pytest
from django.urls import reverse

from interviews.models import ReviewBatch, ReviewComment
from tests.conftest import client_for
from tests.factories import StudyFactory
from tests.interviews.coding_helpers import make_code

pytestmark = pytest.mark.django_db


def make_batch(study, user, state, title="Forbedring"):
    return ReviewBatch.objects.create(
        study=study, title=title, kind=ReviewBatch.Kind.CODEBOOK, created_by=user, state=state
    )


def test_supervisor_sees_the_batch_waiting_for_review(study, researcher, supervisor):
    make_batch(study, researcher, ReviewBatch.State.SUBMITTED)
    make_batch(study, researcher, ReviewBatch.State.DRAFT, title="Kladd")
    code = make_code(study, "Kultur")
    thread = ReviewComment.objects.create(study=study, code=code, author=supervisor, text="Hva betyr denne?")
    ReviewComment.objects.create(study=study, code=code, author=researcher, text="Se definisjonen.", parent=thread)
    page = client_for(supervisor).get(reverse("home")).content.decode()
    assert "1 batch waiting for review" in page
    assert "1 unresolved comment from the researchers" in page
    page = client_for(researcher).get(reverse("home")).content.decode()
    assert "waiting for review" not in page
    assert "1 unresolved reviewer comment" in page


def test_resolved_threads_wait_for_nobody(study, researcher, supervisor):
    code = make_code(study, "Kultur")
    thread = ReviewComment.objects.create(
        study=study, code=code, author=supervisor, text="Hva betyr denne?", resolved_at="2026-01-01T10:00Z"
    )
    ReviewComment.objects.create(study=study, code=code, author=researcher, text="Se definisjonen.", parent=thread)
    assert "Nothing waits for your review." in client_for(supervisor).get(reverse("home")).content.decode()
    assert "unresolved" not in client_for(researcher).get(reverse("home")).content.decode()


def test_researcher_sees_changes_requested(study, researcher, supervisor):
    make_batch(study, researcher, ReviewBatch.State.CHANGES_REQUESTED)
    page = client_for(researcher).get(reverse("home")).content.decode()
    assert "1 batch with changes requested" in page
    page = client_for(supervisor).get(reverse("home")).content.decode()
    assert "changes requested" not in page


def test_home_with_waiting_work_keeps_a_constant_query_count(
    study, researcher, supervisor, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(supervisor)
    make_batch(study, researcher, ReviewBatch.State.SUBMITTED)
    client.get(reverse("home"))
    with django_assert_max_num_queries(10) as first:
        client.get(reverse("home"))
    for n in range(4):
        other = StudyFactory(created_by=researcher)
        other.memberships.create(user=supervisor, role="supervisor")
        make_batch(other, researcher, ReviewBatch.State.SUBMITTED, title=f"B{n}")
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(reverse("home")).content.decode()
    assert page.count("1 batch waiting for review") == 5
