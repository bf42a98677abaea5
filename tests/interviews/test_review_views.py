"""The review screens: list, batch, decisions, comment threads, and what a supervisor may not do."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import AuditEvent, ConsentRecord
from interviews.models import Code, Excerpt, ReviewBatch, ReviewComment, ReviewItem
from interviews.services import review as services
from tests.factories import InformantFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

REVIEW_SCREEN_QUERIES = 10


def build(study, researcher, n: int = 3):
    lines = [f"I1: Utsagn nummer {i} om <forbedring>.\n" for i in range(n)]
    text = "Moderator: Fortell.\n" + "".join(lines) + "I2: Dette skal ingen se.\n"
    i1 = InformantFactory(study=study, code="K1")
    i2 = InformantFactory(study=study, code="K2")
    ConsentRecord.objects.create(informant=i1, given_on=dt.date(2017, 1, 2), recorded_by=researcher)
    source = make_source(study, text, informants={"I1": i1, "I2": i2})
    code = make_code(study, "Forbedring", description="Forslag om å gjøre ting bedre.")
    excerpts = []
    for line in lines:
        start = text.index(line) + 4
        excerpt = make_excerpt(source, start, start + len(line) - 5, code)
        excerpt.speakers.set([i1])
        excerpts.append(excerpt)
    start = text.index("Dette skal")
    hidden = make_excerpt(source, start, start + len("Dette skal ingen se."), code)
    hidden.speakers.set([i2])
    return code, excerpts, hidden


def submitted_batch(study, researcher, n: int = 3):
    code, excerpts, hidden = build(study, researcher, n)
    batch = services.review_batch_create(study=study, actor=researcher, title="Runde", code=code)
    services.review_batch_submit(batch=batch, actor=researcher)
    return batch, code, excerpts, hidden


def test_researcher_creates_and_submits_a_batch_from_a_code(study, researcher, researcher_client):
    code, excerpts, hidden = build(study, researcher)
    page = researcher_client.get(reverse("review_list", args=[study.pk]))
    assert page.status_code == 200
    assert "Nothing has been put up for review yet" in page.content.decode()
    response = researcher_client.post(reverse("review_batch_create", args=[study.pk]), {"code": code.pk})
    batch = ReviewBatch.objects.get()
    assert response.status_code == 302
    assert batch.title == "Forbedring" and batch.state == ReviewBatch.State.DRAFT
    assert set(batch.items.values_list("excerpt_id", flat=True)) == {e.pk for e in excerpts}
    response = researcher_client.post(reverse("review_batch_submit", args=[study.pk, batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.SUBMITTED and batch.round == 1
    page = researcher_client.get(reverse("review_list", args=[study.pk])).content.decode()
    assert "Submitted" in page and 'data-batch-id="%d"' % batch.pk in page


def test_bad_create_input_writes_nothing(study, researcher, researcher_client):
    dropped = make_code(study, "Gammel", status=Code.Status.DROPPED)
    url = reverse("review_batch_create", args=[study.pk])
    assert researcher_client.post(url, {"code": ""}).status_code == 400
    assert researcher_client.post(url, {"code": dropped.pk}).status_code == 400
    assert not ReviewBatch.objects.exists()


def test_supervisor_cannot_create_or_submit(study, researcher, supervisor_client):
    code, _excerpts, _hidden = build(study, researcher)
    assert supervisor_client.post(reverse("review_batch_create", args=[study.pk]), {"code": code.pk}).status_code == 403
    batch = services.review_batch_create(study=study, actor=researcher, title="B", code=code)
    assert supervisor_client.post(reverse("review_batch_submit", args=[study.pk, batch.pk])).status_code == 403
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.DRAFT
    page = supervisor_client.get(reverse("review_list", args=[study.pk])).content.decode()
    assert "Create batch" not in page and "Submit for review" not in page


def test_review_screen_shows_context_definition_and_never_excluded_excerpts(
    study, researcher, supervisor, supervisor_client
):
    batch, code, excerpts, hidden = submitted_batch(study, researcher)
    page = supervisor_client.get(reverse("review_batch", args=[study.pk, batch.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="card mb-3 review-item"') == 3
    assert "<mark>Utsagn nummer 1 om &lt;forbedring&gt;.</mark>" in html
    assert "I1: Utsagn nummer 0" in html  # the line before, in context
    assert "Dette skal ingen se" not in html
    assert "Forslag om å gjøre ting bedre." in html
    assert "K1" in html and "Fokusgruppe 1" in html
    assert "Approve" in html and "Close review" in html
    assert "Open in the coding view" not in html


def test_withdrawn_consent_hides_items_already_in_a_batch(study, researcher, supervisor_client):
    batch, _code, excerpts, _hidden = submitted_batch(study, researcher, n=2)
    informant = excerpts[0].speakers.get()
    ConsentRecord.objects.create(
        informant=informant, given_on=dt.date(2017, 1, 2), withdrawn_on=dt.date(2018, 1, 1), recorded_by=researcher
    )
    html = supervisor_client.get(reverse("review_batch", args=[study.pk, batch.pk])).content.decode()
    assert "Utsagn nummer" not in html
    assert "This batch has no excerpts to show" in html


def test_researcher_sees_link_to_coding_view_and_no_decision_buttons(study, researcher, researcher_client):
    batch, _code, excerpts, _hidden = submitted_batch(study, researcher)
    html = researcher_client.get(reverse("review_batch", args=[study.pk, batch.pk])).content.decode()
    link = reverse("coding_view", args=[study.pk, excerpts[0].source_id]) + f"#excerpt-{excerpts[0].pk}"
    assert link in html
    assert "request-change-button" not in html and "Close review" not in html


@pytest.mark.parametrize("n", [2, 20])
def test_review_screen_query_count_is_pinned(
    study, researcher, supervisor, supervisor_client, n, django_assert_num_queries
):
    batch, code, excerpts, _hidden = submitted_batch(study, researcher, n)
    for excerpt in excerpts:
        comment = services.review_comment_add(study=study, actor=supervisor, text="Hvorfor?", excerpt=excerpt)
        services.review_comment_add(study=study, actor=researcher, text="Fordi.", parent=comment)
    url = reverse("review_batch", args=[study.pk, batch.pk])
    with django_assert_num_queries(REVIEW_SCREEN_QUERIES):
        response = supervisor_client.get(url)
    assert response.content.decode().count("Fordi.") == n


@pytest.mark.parametrize("n", [2, 20])
def test_review_list_query_count_is_pinned(study, researcher, researcher_client, n, django_assert_num_queries):
    code, _excerpts, _hidden = build(study, researcher, n)
    for index in range(n // 2):
        services.review_batch_create(study=study, actor=researcher, title=f"B{index}", code=code)
    with django_assert_num_queries(5):
        researcher_client.get(reverse("review_list", args=[study.pk]))


def test_supervisor_decides_items_and_closes(study, researcher, supervisor, supervisor_client):
    batch, _code, _excerpts, _hidden = submitted_batch(study, researcher, n=2)
    first, second = batch.items.order_by("pk")
    url = reverse("review_item_decide", args=[study.pk, first.pk])
    assert supervisor_client.post(url, {"decision": "approved"}).status_code == 302
    assert supervisor_client.post(url, {"decision": "nonsense"}).status_code == 400
    first.refresh_from_db()
    assert first.decision == ReviewItem.Decision.APPROVED and first.decided_by == supervisor
    # Closing with an item pending: a message, nothing changes.
    response = supervisor_client.post(reverse("review_batch_decide", args=[study.pk, batch.pk]), follow=True)
    assert "Decide on every excerpt" in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.SUBMITTED
    supervisor_client.post(reverse("review_item_decide", args=[study.pk, second.pk]), {"decision": "change_requested"})
    supervisor_client.post(reverse("review_batch_decide", args=[study.pk, batch.pk]))
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.CHANGES_REQUESTED and batch.decided_by == supervisor


def test_non_reviewer_cannot_decide(study, researcher, supervisor, researcher_client, co_researcher_client):
    batch, _code, _excerpts, _hidden = submitted_batch(study, researcher, n=2)
    item = batch.items.first()
    for client in (researcher_client, co_researcher_client):
        url = reverse("review_item_decide", args=[study.pk, item.pk])
        assert client.post(url, {"decision": "approved"}).status_code == 403
        assert client.post(reverse("review_batch_decide", args=[study.pk, batch.pk])).status_code == 403
    item.refresh_from_db()
    assert item.decision == ReviewItem.Decision.PENDING


def test_outsider_gets_404(study, researcher, outsider_client):
    batch, _code, _excerpts, _hidden = submitted_batch(study, researcher, n=2)
    assert outsider_client.get(reverse("review_batch", args=[study.pk, batch.pk])).status_code == 404
    item = batch.items.first()
    response = outsider_client.post(reverse("review_item_decide", args=[study.pk, item.pk]), {"decision": "approved"})
    assert response.status_code == 404


def test_comment_thread_reply_and_resolve(study, researcher, supervisor, supervisor_client, researcher_client):
    batch, code, excerpts, _hidden = submitted_batch(study, researcher, n=2)
    add = reverse("review_comment_add", args=[study.pk])
    response = supervisor_client.post(add, {"excerpt": excerpts[0].pk, "text": "For bredt?", "batch": batch.pk})
    assert response.status_code == 302
    comment = ReviewComment.objects.get()
    assert (comment.excerpt, comment.author, comment.batch) == (excerpts[0], supervisor, batch)
    researcher_client.post(add, {"parent": comment.pk, "text": "Jeg snevrer inn.", "batch": batch.pk})
    reply = ReviewComment.objects.exclude(pk=comment.pk).get()
    assert reply.parent == comment and reply.excerpt == excerpts[0]
    supervisor_client.post(add, {"code": code.pk, "text": "Definisjonen er god.", "batch": batch.pk})
    html = researcher_client.get(reverse("review_batch", args=[study.pk, batch.pk])).content.decode()
    assert "For bredt?" in html and "Jeg snevrer inn." in html and "Definisjonen er god." in html
    assert researcher_client.post(reverse("review_comment_resolve", args=[study.pk, comment.pk])).status_code == 302
    comment.refresh_from_db()
    assert comment.resolved_by == researcher
    assert AuditEvent.objects.filter(action="review.comment_resolved", target_id=comment.pk).exists()
    # Empty text or no target: 400, nothing written.
    assert supervisor_client.post(add, {"excerpt": excerpts[0].pk, "text": " "}).status_code == 400
    assert supervisor_client.post(add, {"text": "Om hva?"}).status_code == 400
    assert ReviewComment.objects.count() == 3


def test_supervisor_cannot_change_excerpts_or_codes(study, researcher, supervisor_client):
    code, excerpts, _hidden = build(study, researcher, n=2)
    other = make_code(study, "Annen")
    excerpt = excerpts[0]
    before = (excerpt.start, excerpt.end, excerpt.text)
    adjust = reverse("excerpt_adjust", args=[study.pk, excerpt.pk])
    assert supervisor_client.post(adjust, {"start": excerpt.start + 1, "end": excerpt.end}).status_code == 403
    add = reverse("excerpt_code_add", args=[study.pk, excerpt.pk])
    assert supervisor_client.post(add, {"code": other.pk}).status_code == 403
    edit = reverse("code_edit", args=[study.pk, code.pk])
    assert supervisor_client.post(edit, {"name": "Endret", "description": "x", "colour": "#000000"}).status_code == 403
    excerpt = Excerpt.objects.get(pk=excerpt.pk)
    assert (excerpt.start, excerpt.end, excerpt.text) == before
    assert set(excerpt.codes.all()) == {code}
    code.refresh_from_db()
    assert code.name == "Forbedring"
