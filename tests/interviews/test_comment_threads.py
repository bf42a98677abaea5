"""Comment threads on a source (the coding view's margin) and on a session; supervisors comment, never edit."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent
from interviews.models import ReviewComment, Session, Source
from interviews.services import review as services
from tests.factories import SessionFactory, StudyFactory
from tests.interviews.coding_helpers import make_source

pytestmark = pytest.mark.django_db

ADD = "review_comment_add"


@pytest.fixture
def source(study):
    return make_source(study, "Moderator: Fortell.\nI1: Vi lærer av hverandre.\n")


@pytest.fixture
def session(study):
    return SessionFactory(study=study, code="S01")


def add(client, study, **data):
    return client.post(reverse(ADD, args=[study.pk]), {"text": "Hvorfor er denne transkribert ordrett?"} | data)


def test_supervisor_comments_on_a_source_and_the_researcher_answers_and_resolves(
    study, source, supervisor, researcher, supervisor_client, researcher_client
):
    response = add(supervisor_client, study, source=source.pk)
    assert response.status_code == 302
    assert response.url == reverse("coding_view", args=[study.pk, source.pk]) + "#comments"
    root = ReviewComment.objects.get()
    assert root.source == source and root.author == supervisor and root.batch is None

    page = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert 'id="comments"' in page and "Hvorfor er denne transkribert ordrett?" in page
    assert f'name="parent" value="{root.pk}"' in page

    assert add(researcher_client, study, parent=root.pk, text="Fordi samtalen var kort.").status_code == 302
    reply = ReviewComment.objects.exclude(pk=root.pk).get()
    assert reply.parent == root and reply.source == source and reply.author == researcher

    response = researcher_client.post(reverse("review_comment_resolve", args=[study.pk, root.pk]))
    assert response.url == reverse("coding_view", args=[study.pk, source.pk]) + "#comments"
    root.refresh_from_db()
    assert root.resolved_by == researcher
    page = supervisor_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert "Fordi samtalen var kort." in page and "Resolved by" in page
    assert AuditEvent.objects.filter(action="review.commented", data__source=source.pk).count() == 2


def test_supervisor_comments_on_a_session_but_cannot_edit_it(study, session, supervisor_client, researcher_client):
    response = add(supervisor_client, study, session=session.pk, text="Hvem var til stede?")
    assert response.url == reverse("session_detail", args=[study.pk, session.pk]) + "#comments"
    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert "Hvem var til stede?" in page and 'name="session"' in page
    before = Session.objects.values().get(pk=session.pk)
    edit = reverse("session_edit", args=[study.pk, session.pk])
    assert supervisor_client.post(edit, {"code": "S99", "place": "Et annet sted"}).status_code == 403
    assert Session.objects.values().get(pk=session.pk) == before


def test_supervisor_comments_but_cannot_change_the_source(study, source, supervisor_client):
    add(supervisor_client, study, source=source.pk)
    text = source.text
    assert supervisor_client.post(reverse("source_edit", args=[study.pk, source.pk]), {"title": "X"}).status_code == 403
    response = supervisor_client.post(
        reverse("excerpt_create", args=[study.pk]),
        {"source": source.pk, "start": 0, "end": 9, "text": text[:9], "code": []},
    )
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.text == text and not source.excerpts.exists()


def test_comments_on_objects_of_another_study_write_nothing(study, researcher_client, outsider_client, source):
    other = StudyFactory()
    foreign_source = make_source(other, "I1: Annet.")
    foreign_session = SessionFactory(study=other, code="X1")
    assert add(researcher_client, study, source=foreign_source.pk).status_code == 400
    assert add(researcher_client, study, session=foreign_session.pk).status_code == 400
    assert add(researcher_client, study, text="").status_code == 400
    assert add(outsider_client, study, source=source.pk).status_code == 404
    assert not ReviewComment.objects.exists()


def test_the_service_wants_exactly_one_target(study, researcher, source, session):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.review_comment_add(study=study, actor=researcher, text="x", source=source, session=session)
    with pytest.raises(ValidationError):
        services.review_comment_add(study=study, actor=researcher, text="x")
    assert not ReviewComment.objects.exists()


def test_unresolved_source_and_session_threads_wait_on_the_home_page_and_the_review_list(
    study, source, session, supervisor, researcher, supervisor_client, researcher_client
):
    services.review_comment_add(study=study, actor=supervisor, text="Kilden?", source=source)
    services.review_comment_add(study=study, actor=researcher, text="Samlingen?", session=session)
    home = researcher_client.get(reverse("home")).content.decode()
    assert "1 unresolved reviewer comment" in home
    home = supervisor_client.get(reverse("home")).content.decode()
    assert "1 unresolved comment from the researchers" in home
    listing = supervisor_client.get(reverse("review_list", args=[study.pk])).content.decode()
    assert 'id="open-threads"' in listing and "Kilden?" in listing and "Samlingen?" in listing
    assert reverse("coding_view", args=[study.pk, source.pk]) + "#comments" in listing
    assert reverse("session_detail", args=[study.pk, session.pk]) + "#comments" in listing


@pytest.mark.parametrize("comments", [1, 8])
def test_thread_pages_query_counts_do_not_grow(
    study, source, session, supervisor, researcher, researcher_client, comments, django_assert_num_queries
):
    for number in range(comments):
        root = services.review_comment_add(study=study, actor=supervisor, text=f"K{number}", source=source)
        services.review_comment_add(study=study, actor=researcher, text=f"Svar {number}", parent=root)
        services.review_comment_add(study=study, actor=supervisor, text=f"S{number}", session=session)
    coding = reverse("coding_view", args=[study.pk, source.pk])
    researcher_client.get(coding)
    with django_assert_num_queries(11):
        assert researcher_client.get(coding).content.decode().count("data-comment-id=") == 2 * comments
    with django_assert_num_queries(8):  # with the questionnaires answered inside the session
        researcher_client.get(reverse("session_detail", args=[study.pk, session.pk]))
    with django_assert_num_queries(5):
        researcher_client.get(reverse("review_list", args=[study.pk]))
    assert Source.objects.count() == 1
