"""Review batches by source, hand-picked from retrieval, and for a code's definition."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent
from interviews.models import Code, Excerpt, ReviewBatch, ReviewComment
from interviews.services import review as services
from tests.interviews.coding_helpers import make_code, make_source
from tests.interviews.test_review_views import build

pytestmark = pytest.mark.django_db

CREATE = "review_batch_create"
DEFINITION_SCREEN_QUERIES = 9


def test_submit_all_excerpts_of_a_source_from_the_coding_view(study, researcher, researcher_client):
    code, excerpts, hidden = build(study, researcher)
    source = excerpts[0].source
    page = researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).content.decode()
    assert 'id="review-source"' in page
    response = researcher_client.post(
        reverse(CREATE, args=[study.pk]), {"basis": "source", "source": source.pk, "submit_now": "1"}
    )
    batch = ReviewBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("review_batch", args=[study.pk, batch.pk])
    assert batch.state == ReviewBatch.State.SUBMITTED and batch.round == 1 and batch.title == str(source)
    # The excerpt of the informant without consent is not in the batch.
    assert set(batch.items.values_list("excerpt_id", flat=True)) == {e.pk for e in excerpts}
    message = researcher_client.get(response.url).content.decode()
    assert "1 excerpt of an informant without valid consent was left out." in message
    actions = list(AuditEvent.objects.filter(target_id=batch.pk).values_list("action", flat=True))
    assert "review.created" in actions and "review.submitted" in actions


def test_a_source_with_only_excluded_excerpts_writes_nothing(study, researcher, researcher_client):
    _code, _excerpts, hidden = build(study, researcher, n=0)
    response = researcher_client.post(
        reverse(CREATE, args=[study.pk]), {"basis": "source", "source": hidden.source_id, "submit_now": "1"}
    )
    assert response.status_code == 400 and "The batch has no excerpts to review." in response.content.decode()
    assert not ReviewBatch.objects.exists()


def test_hand_picked_excerpts_from_retrieval(study, researcher, researcher_client):
    code, excerpts, hidden = build(study, researcher)
    page = researcher_client.get(reverse("retrieval", args=[study.pk])).content.decode()
    assert 'id="review-picked"' in page and f'name="excerpt" value="{excerpts[0].pk}" form="review-picked"' in page
    response = researcher_client.post(
        reverse(CREATE, args=[study.pk]),
        {"basis": "picked", "excerpt": [excerpts[0].pk, hidden.pk], "title": "Utvalgte", "submit_now": "1"},
    )
    batch = ReviewBatch.objects.get()
    assert response.status_code == 302 and batch.title == "Utvalgte" and batch.state == ReviewBatch.State.SUBMITTED
    assert list(batch.items.values_list("excerpt_id", flat=True)) == [excerpts[0].pk]


@pytest.mark.parametrize(
    "data",
    [
        {"basis": "picked"},
        {"basis": "picked", "excerpt": ["x"]},
        {"basis": "source"},
        {"basis": "source", "source": "999999"},
        {"basis": "definition"},
        {"basis": "everything", "code": "1"},
    ],
)
def test_bad_batch_input_is_400_and_writes_nothing(study, researcher, researcher_client, data):
    build(study, researcher)
    assert researcher_client.post(reverse(CREATE, args=[study.pk]), data).status_code == 400
    assert not ReviewBatch.objects.exists()


def test_excerpts_and_sources_of_another_study_are_refused(study, researcher, researcher_client, other_study_excerpt):
    build(study, researcher)
    url = reverse(CREATE, args=[study.pk])
    foreign = other_study_excerpt
    assert researcher_client.post(url, {"basis": "picked", "excerpt": [foreign.pk]}).status_code == 400
    assert researcher_client.post(url, {"basis": "source", "source": foreign.source_id}).status_code == 400
    assert not ReviewBatch.objects.exists()


@pytest.fixture
def other_study_excerpt(outsider):
    from tests.factories import StudyFactory
    from tests.interviews.coding_helpers import make_excerpt

    other = StudyFactory()
    source = make_source(other, "I1: Annen tekst her.")
    return make_excerpt(source, 4, 9, make_code(other, "Fremmed"))


def test_supervisor_cannot_create_any_kind_of_batch(study, researcher, supervisor_client):
    code, excerpts, _hidden = build(study, researcher)
    url = reverse(CREATE, args=[study.pk])
    for data in (
        {"basis": "source", "source": excerpts[0].source_id, "submit_now": "1"},
        {"basis": "picked", "excerpt": [excerpts[0].pk]},
        {"basis": "definition", "code": code.pk},
    ):
        assert supervisor_client.post(url, data).status_code == 403
    assert not ReviewBatch.objects.exists()
    page = supervisor_client.get(reverse("coding_view", args=[study.pk, excerpts[0].source_id])).content.decode()
    assert 'id="review-source"' not in page
    assert 'id="review-picked"' not in supervisor_client.get(reverse("retrieval", args=[study.pk])).content.decode()


def definition_batch(study, researcher, researcher_client):
    code, excerpts, hidden = build(study, researcher)
    edit = researcher_client.get(reverse("code_edit", args=[study.pk, code.pk])).content.decode()
    assert 'id="review-definition"' in edit and f'name="code" value="{code.pk}"' in edit
    parent = make_code(study, "Endring")
    Code.objects.filter(pk=code.pk).update(parent=parent)
    make_code(study, "Små forbedringer", parent=code)
    response = researcher_client.post(
        reverse(CREATE, args=[study.pk]), {"basis": "definition", "code": code.pk, "submit_now": "1"}
    )
    assert response.status_code == 302
    return ReviewBatch.objects.get(), code, excerpts, hidden


def test_definition_review_shows_definition_hierarchy_and_examples(
    study, researcher, researcher_client, supervisor_client
):
    batch, code, excerpts, hidden = definition_batch(study, researcher, researcher_client)
    assert batch.kind == ReviewBatch.Kind.CODE_DEFINITION and not batch.items.exists()
    assert batch.title == "Definition: Forbedring"
    html = supervisor_client.get(reverse("review_batch", args=[study.pk, batch.pk])).content.decode()
    assert "Forslag om å gjøre ting bedre." in html
    assert "Endring › <strong>Forbedring</strong>" in html and "Små forbedringer" in html
    assert html.count('class="border-start ps-2 small mb-2 definition-example"') == 3
    assert "Dette skal ingen se" not in html  # an informant without consent is never an example
    assert 'id="definition-decision"' in html and "Close review" not in html
    assert "This batch has no excerpts to show" not in html


def test_definition_approved_or_sent_back_with_a_comment(
    study, researcher, supervisor, researcher_client, supervisor_client
):
    batch, code, _excerpts, _hidden = definition_batch(study, researcher, researcher_client)
    decide = reverse("review_batch_decide", args=[study.pk, batch.pk])
    # A requested change needs a comment; nothing changes without one.
    supervisor_client.post(decide, {"decision": "changes_requested", "comment": " "})
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.SUBMITTED and not ReviewComment.objects.exists()
    assert supervisor_client.post(decide, {"decision": "bogus"}).status_code == 400
    # The researcher cannot decide on their own definition.
    assert researcher_client.post(decide, {"decision": "approved"}).status_code == 403

    supervisor_client.post(decide, {"decision": "changes_requested", "comment": "Skill mellom forslag og kritikk."})
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.CHANGES_REQUESTED and batch.decided_by == supervisor
    comment = ReviewComment.objects.get()
    assert comment.code == code and comment.batch == batch and comment.author == supervisor
    html = researcher_client.get(reverse("review_batch", args=[study.pk, batch.pk])).content.decode()
    assert "Skill mellom forslag og kritikk." in html

    services.review_batch_submit(batch=batch, actor=researcher)
    supervisor_client.post(decide, {"decision": "approved"})
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.APPROVED and batch.round == 2
    code.refresh_from_db()
    assert code.description == "Forslag om å gjøre ting bedre."  # reviewing changed no data


@pytest.mark.parametrize("n", [2, 12])
def test_definition_screen_query_count_is_pinned(
    study, researcher, researcher_client, supervisor_client, n, django_assert_num_queries
):
    code, _excerpts, _hidden = build(study, researcher, n)
    batch = services.review_batch_create(
        study=study, actor=researcher, title="D", code=code, kind=ReviewBatch.Kind.CODE_DEFINITION
    )
    services.review_batch_submit(batch=batch, actor=researcher)
    url = reverse("review_batch", args=[study.pk, batch.pk])
    supervisor_client.get(url)
    with django_assert_num_queries(DEFINITION_SCREEN_QUERIES):
        assert supervisor_client.get(url).status_code == 200


def test_services_never_put_excluded_excerpts_in_any_kind_of_batch(study, researcher):
    code, excerpts, hidden = build(study, researcher)
    by_code = services.review_batch_create(study=study, actor=researcher, title="a", code=code)
    by_source = services.review_batch_create(study=study, actor=researcher, title="b", source=hidden.source)
    picked = services.review_batch_create(study=study, actor=researcher, title="c", excerpt_ids=[hidden.pk])
    for batch in (by_code, by_source, picked):
        assert not batch.items.filter(excerpt=hidden).exists()
    assert picked.left_out == 1 and by_source.left_out == 1
    assert Excerpt.objects.filter(pk=hidden.pk).exists()


def test_reviewing_supervisor_cannot_change_the_data_under_review(
    study, researcher, researcher_client, supervisor_client
):
    batch, code, excerpts, _hidden = definition_batch(study, researcher, researcher_client)
    excerpt = excerpts[0]
    attempts = [
        (reverse("code_edit", args=[study.pk, code.pk]), {"name": "Endret", "description": "Ny", "colour": "#000000"}),
        (reverse("excerpt_detail", args=[study.pk, excerpt.pk]), {"memo": "Supervisors notat", "speakers": []}),
        (reverse("excerpt_delete", args=[study.pk, excerpt.pk]), {}),
        (reverse("coding_undo", args=[study.pk, excerpt.source_id]), {}),
        (reverse("review_batch_submit", args=[study.pk, batch.pk]), {}),
    ]
    before_code = Code.objects.values().get(pk=code.pk)
    before_excerpt = Excerpt.objects.values().get(pk=excerpt.pk)
    for url, data in attempts:
        assert supervisor_client.post(url, data).status_code == 403, url
    assert (
        supervisor_client.get(reverse("excerpt_corroboration_search", args=[study.pk, excerpt.pk])).status_code == 403
    )
    assert Code.objects.values().get(pk=code.pk) == before_code
    assert Excerpt.objects.values().get(pk=excerpt.pk) == before_excerpt
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.SUBMITTED
    # What the supervisor may do: approve, and comment.
    supervisor_client.post(reverse("review_batch_decide", args=[study.pk, batch.pk]), {"decision": "approved"})
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.APPROVED
