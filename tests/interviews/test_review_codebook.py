"""The whole codebook under review: one open batch at a time, and approval is the codebook sign-off."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.models import AuditEvent
from interviews.models import Code, CodebookSnapshot, ReviewBatch, ReviewComment
from interviews.services import review as services
from interviews.services.signoff import codebook_signoff, freeze_codebook
from tests.conftest import client_for
from tests.interviews.coding_helpers import make_code
from tests.interviews.test_review_views import build

pytestmark = pytest.mark.django_db

State = ReviewBatch.State
SUBMIT = "codebook_review_submit"
DECIDE = "review_batch_decide"


def codebook(study, researcher):
    code, excerpts, hidden = build(study, researcher)
    child = make_code(study, "Forslag", parent=code, description="Konkrete forslag.")
    return code, child


def actions(batch) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            target_id=batch.pk, action__in=("review.created", "review.submitted", "review.decided")
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- services -------------------------------------------------------------------------------------------------


def test_the_whole_round_trip_is_audited_and_approval_freezes_one_version(study, researcher, supervisor):
    code, _child = codebook(study, researcher)
    batch = services.codebook_review_submit(study=study, actor=researcher)
    assert batch.kind == ReviewBatch.Kind.CODEBOOK and batch.state == State.SUBMITTED and batch.round == 1
    assert not batch.items.exists() and batch.code is None

    with pytest.raises(ValidationError, match="write a comment"):
        services.review_batch_decide(batch=batch, reviewer=supervisor, decision=State.CHANGES_REQUESTED)
    with pytest.raises(ValidationError, match="Choose the code"):
        services.review_batch_decide(
            batch=batch, reviewer=supervisor, decision=State.CHANGES_REQUESTED, comment="Skjerp definisjonene."
        )
    services.review_batch_decide(
        batch=batch,
        reviewer=supervisor,
        decision=State.CHANGES_REQUESTED,
        comment="Skjerp definisjonene.",
        comment_code=code,
    )
    batch.refresh_from_db()
    assert batch.state == State.CHANGES_REQUESTED
    assert not CodebookSnapshot.objects.exists()
    comment = ReviewComment.objects.get()
    assert (comment.code, comment.batch, comment.author) == (code, batch, supervisor)

    services.review_batch_submit(batch=batch, actor=researcher)
    services.review_batch_decide(batch=batch, reviewer=supervisor, decision=State.APPROVED)
    batch.refresh_from_db()
    assert batch.state == State.APPROVED and batch.round == 2 and batch.decided_by == supervisor
    snapshot = CodebookSnapshot.objects.get()
    assert snapshot.batch == batch and snapshot.approved_by == supervisor and snapshot.version == 1
    assert {row["name"] for row in snapshot.codes} == {"Forbedring", "Forslag"}
    assert {row["origin"] for row in snapshot.codes} == {Code.Origin.EMERGENT}
    assert actions(batch) == [
        "review.created",
        "review.submitted",
        "review.decided",
        "review.submitted",
        "review.decided",
    ]
    assert AuditEvent.objects.filter(action="codebook.signed_off", actor=supervisor, target_id=snapshot.pk).count() == 1


def test_a_second_open_codebook_batch_is_refused(study, researcher, co_researcher, supervisor):
    codebook(study, researcher)
    first = services.codebook_review_submit(study=study, actor=researcher)
    for actor in (researcher, co_researcher):
        with pytest.raises(ValidationError, match="already up for review"):
            services.codebook_review_submit(study=study, actor=actor)
    services.review_batch_decide(
        batch=first,
        reviewer=supervisor,
        decision=State.CHANGES_REQUESTED,
        comment="x",
        comment_code=Code.objects.first(),
    )
    with pytest.raises(ValidationError, match="already up for review"):
        services.codebook_review_submit(study=study, actor=researcher)
    assert ReviewBatch.objects.filter(kind=ReviewBatch.Kind.CODEBOOK).count() == 1
    services.review_batch_submit(batch=first, actor=researcher)
    services.review_batch_decide(batch=first, reviewer=supervisor, decision=State.APPROVED)
    # Once approved, the next round of the codebook is a new batch.
    second = services.codebook_review_submit(study=study, actor=researcher)
    assert second.pk != first.pk and second.state == State.SUBMITTED


def test_an_empty_codebook_cannot_be_submitted(study, researcher):
    with pytest.raises(ValidationError, match="no codes"):
        services.codebook_review_submit(study=study, actor=researcher)
    assert not ReviewBatch.objects.exists()


def test_role_refusals(study, researcher, supervisor, outsider):
    codebook(study, researcher)
    for actor in (supervisor, outsider):
        with pytest.raises(PermissionDenied):
            services.codebook_review_submit(study=study, actor=actor)
    assert not ReviewBatch.objects.exists()
    batch = services.codebook_review_submit(study=study, actor=researcher)
    with pytest.raises(PermissionDenied):
        services.review_batch_decide(batch=batch, reviewer=researcher, decision=State.APPROVED)
    with pytest.raises(PermissionDenied):
        services.review_batch_decide(batch=batch, reviewer=outsider, decision=State.APPROVED)
    batch.refresh_from_db()
    assert batch.state == State.SUBMITTED and not CodebookSnapshot.objects.exists()


def test_without_a_supervisor_a_co_researcher_who_did_not_submit_reviews(study, researcher, co_researcher):
    codebook(study, researcher)
    batch = services.codebook_review_submit(study=study, actor=researcher)
    with pytest.raises(PermissionDenied):
        services.review_batch_decide(batch=batch, reviewer=researcher, decision=State.APPROVED)
    services.review_batch_decide(batch=batch, reviewer=co_researcher, decision=State.APPROVED)
    assert CodebookSnapshot.objects.get().approved_by == co_researcher


def test_signing_off_while_the_codebook_is_submitted_approves_that_batch(study, researcher, supervisor):
    """Sign-off and whole-codebook review are one flow: the versions page's button approves the open batch."""
    codebook(study, researcher)
    batch = services.codebook_review_submit(study=study, actor=researcher)
    snapshot = codebook_signoff(study=study, reviewer=supervisor)
    batch.refresh_from_db()
    assert batch.state == State.APPROVED and snapshot.batch == batch
    assert CodebookSnapshot.objects.count() == 1


# --- views -----------------------------------------------------------------------------------------------------


def test_submit_from_the_codebook_page_and_a_second_submit_is_refused(study, researcher, researcher_client):
    codebook(study, researcher)
    page = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert 'id="codebook-submit-review"' in page
    response = researcher_client.post(reverse(SUBMIT, args=[study.pk]))
    batch = ReviewBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("review_batch", args=[study.pk, batch.pk])
    page = researcher_client.get(reverse("codebook", args=[study.pk])).content.decode()
    assert 'id="codebook-open-review"' in page and 'id="codebook-submit-review"' not in page
    again = researcher_client.post(reverse(SUBMIT, args=[study.pk]), follow=True)
    assert "The codebook is already up for review." in again.content.decode()
    assert ReviewBatch.objects.count() == 1
    assert researcher_client.get(reverse(SUBMIT, args=[study.pk])).status_code == 405


def test_reviewer_screen_decisions_and_diff(study, researcher, researcher_client, supervisor, supervisor_client):
    code, child = codebook(study, researcher)
    freeze_codebook(study=study, reviewer=supervisor)
    Code.objects.filter(pk=child.pk).update(description="Forslag som er sendt inn.")
    make_code(study, "Motstand", origin=Code.Origin.THEORY)
    researcher_client.post(reverse(SUBMIT, args=[study.pk]))
    batch = ReviewBatch.objects.get()
    url = reverse("review_batch", args=[study.pk, batch.pk])
    html = supervisor_client.get(url).content.decode()
    assert 'id="codebook-review-tree"' in html and 'id="codebook-decision"' in html
    assert "Changes since the approved v1" in html and "Forslag som er sendt inn." in html and "Motstand" in html
    assert 'id="codebook-decision"' not in researcher_client.get(url).content.decode()

    decide = reverse(DECIDE, args=[study.pk, batch.pk])
    refused = supervisor_client.post(decide, {"decision": "changes_requested", "comment": ""}, follow=True)
    assert "write a comment" in refused.content.decode()
    assert supervisor_client.post(decide, {"decision": "nonsense"}).status_code == 400
    assert researcher_client.post(decide, {"decision": "approved"}).status_code == 403
    batch.refresh_from_db()
    assert batch.state == State.SUBMITTED and CodebookSnapshot.objects.count() == 1

    supervisor_client.post(
        decide, {"decision": "changes_requested", "comment": "Presiser «Forslag».", "code": child.pk}
    )
    batch.refresh_from_db()
    assert batch.state == State.CHANGES_REQUESTED
    assert "Presiser «Forslag»." in researcher_client.get(url).content.decode()
    home = researcher_client.get(reverse("home")).content.decode()
    assert "1 batch with changes requested" in home

    researcher_client.post(reverse("review_batch_submit", args=[study.pk, batch.pk]))
    assert "1 batch waiting for review" in supervisor_client.get(reverse("home")).content.decode()
    supervisor_client.post(decide, {"decision": "approved"})
    batch.refresh_from_db()
    assert batch.state == State.APPROVED
    latest = CodebookSnapshot.objects.get(version=2)
    assert latest.batch == batch and latest.approved_by == supervisor
    html = supervisor_client.get(url).content.decode()
    assert "Approved and frozen as codebook v2." in html and 'id="codebook-decision"' not in html


def test_a_code_from_another_study_is_refused(study, researcher, researcher_client, supervisor_client, supervisor):
    from tests.factories import StudyFactory

    codebook(study, researcher)
    other = StudyFactory(created_by=researcher)
    foreign = make_code(other, "Fremmed")
    researcher_client.post(reverse(SUBMIT, args=[study.pk]))
    batch = ReviewBatch.objects.get()
    response = supervisor_client.post(
        reverse(DECIDE, args=[study.pk, batch.pk]),
        {"decision": "changes_requested", "comment": "Hm", "code": foreign.pk},
    )
    assert response.status_code == 400
    batch.refresh_from_db()
    assert batch.state == State.SUBMITTED and not ReviewComment.objects.exists()


def test_a_supervisor_cannot_submit_or_change_the_codebook(study, researcher, supervisor_client):
    code, _child = codebook(study, researcher)
    assert supervisor_client.post(reverse(SUBMIT, args=[study.pk])).status_code == 403
    response = supervisor_client.post(
        reverse("code_edit", args=[study.pk, code.pk]), {"name": "Endret", "colour": "#000000"}
    )
    assert response.status_code in (403, 404)
    code.refresh_from_db()
    assert code.name == "Forbedring" and not ReviewBatch.objects.exists()


@pytest.mark.parametrize("size", [5, 50])
def test_codebook_review_screen_query_count_does_not_grow(
    study, researcher, supervisor, size, django_assert_num_queries
):
    parent = None
    for n in range(size):
        code = make_code(study, f"Kode {n:02d}", parent=parent if n % 2 else None, description=f"Definisjon {n}")
        parent = code
    freeze_codebook(study=study, reviewer=supervisor)
    Code.objects.filter(study=study, name="Kode 01").update(description="Ny")
    batch = services.codebook_review_submit(study=study, actor=researcher)
    ReviewComment.objects.create(study=study, code=code, batch=batch, author=supervisor, text="Se her")
    client = client_for(supervisor)
    url = reverse("review_batch", args=[study.pk, batch.pk])
    client.get(url)
    with django_assert_num_queries(CODEBOOK_SCREEN_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("data-code-id=") == size


CODEBOOK_SCREEN_QUERIES = 10


def test_the_codebook_review_speaks_bokmal(study, researcher, supervisor):
    from django.utils import translation

    codebook(study, researcher)
    with translation.override("nb"):
        with pytest.raises(PermissionDenied, match="Bare studiens forskere"):
            services.codebook_review_submit(study=study, actor=supervisor)
        batch = services.codebook_review_submit(study=study, actor=researcher)
        with pytest.raises(ValidationError, match="allerede sendt til gjennomgang"):
            services.codebook_review_submit(study=study, actor=researcher)
    client = client_for(supervisor)
    client.cookies["django_language"] = "nb"
    html = client.get(reverse("review_batch", args=[study.pk, batch.pk]), HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    for phrase in ("Din avgjørelse", "Godkjenn og frys kodeboken", "Kommentaren gjelder koden", "Ingen kodebokversjon"):
        assert phrase in html


def test_the_versions_page_leads_to_the_open_review_and_the_reviewer_is_mailed(
    study, researcher, researcher_client, supervisor, supervisor_client, mailoutbox, django_capture_on_commit_callbacks
):
    codebook(study, researcher)
    with django_capture_on_commit_callbacks(execute=True):
        researcher_client.post(reverse(SUBMIT, args=[study.pk]))
    batch = ReviewBatch.objects.get()
    assert [mail.to for mail in mailoutbox] == [[supervisor.email]]
    page = supervisor_client.get(reverse("codebook_versions", args=[study.pk])).content.decode()
    assert reverse("review_batch", args=[study.pk, batch.pk]) in page and 'id="codebook-open-review"' in page
