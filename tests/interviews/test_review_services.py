"""The review state machine: submit, decide per excerpt, close the round, resubmit, approve."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import AuditEvent, ConsentRecord, Membership
from interviews.models import ReviewBatch, ReviewItem
from interviews.services import review as services
from tests.factories import InformantFactory, MembershipFactory, UserFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

LINES = [f"I1: Utsagn nummer {n} om forbedring.\n" for n in range(10)]
TEXT = "Moderator: Fortell.\n" + "".join(LINES) + "I2: Dette skal ingen se.\n"


@pytest.fixture
def coded(study, researcher):
    i1 = InformantFactory(study=study, code="K1")
    i2 = InformantFactory(study=study, code="K2")
    ConsentRecord.objects.create(informant=i1, given_on=dt.date(2017, 1, 2), recorded_by=researcher)
    source = make_source(study, TEXT, informants={"I1": i1, "I2": i2})
    code = make_code(study, "Forbedring")
    excerpts = []
    for line in LINES:
        start = TEXT.index(line) + 4
        excerpt = make_excerpt(source, start, start + len(line) - 5, code)
        excerpt.speakers.set([i1])
        excerpts.append(excerpt)
    start = TEXT.index("Dette skal")
    hidden = make_excerpt(source, start, start + len("Dette skal ingen se."), code)
    hidden.speakers.set([i2])
    return code, excerpts, hidden


def test_ten_excerpts_of_a_code_go_through_two_rounds(study, researcher, supervisor, coded):
    code, excerpts, hidden = coded
    batch = services.review_batch_create(study=study, actor=researcher, title="Forbedring, runde 1", code=code)
    # K2 has no consent: their excerpt never enters the review.
    assert sorted(batch.items.values_list("excerpt_id", flat=True)) == sorted(e.pk for e in excerpts)
    assert hidden.pk not in batch.items.values_list("excerpt_id", flat=True)

    services.review_batch_submit(batch=batch, actor=researcher)
    items = list(batch.items.order_by("excerpt__start"))
    for item in items[:8]:
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.APPROVED)
    for item in items[8:]:
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.CHANGE_REQUESTED)
    batch = services.review_batch_decide(batch=batch, reviewer=supervisor)
    assert batch.state == ReviewBatch.State.CHANGES_REQUESTED

    batch = services.review_batch_submit(batch=batch, actor=researcher)
    assert batch.round == 2
    assert batch.items.filter(decision=ReviewItem.Decision.PENDING).count() == 2
    for item in batch.items.filter(decision=ReviewItem.Decision.PENDING):
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.APPROVED)
    batch = services.review_batch_decide(batch=batch, reviewer=supervisor)
    assert batch.state == ReviewBatch.State.APPROVED
    actions = list(AuditEvent.objects.filter(study=study, action__startswith="review.").values_list("action", "actor"))
    assert actions.count(("review.submitted", researcher.pk)) == 2
    assert actions.count(("review.decided", supervisor.pk)) == 2
    assert actions.count(("review.item_decided", supervisor.pk)) == 12
    assert batch.history.count() >= 5


def test_transitions_are_checked(study, researcher, supervisor, coded):
    code, _excerpts, _hidden = coded
    batch = services.review_batch_create(study=study, actor=researcher, title="B", code=code)
    item = batch.items.first()
    with pytest.raises(ValidationError):  # not submitted yet
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.APPROVED)
    services.review_batch_submit(batch=batch, actor=researcher)
    with pytest.raises(ValidationError):  # submitted twice
        services.review_batch_submit(batch=batch, actor=researcher)
    with pytest.raises(ValidationError):  # items still pending
        services.review_batch_decide(batch=batch, reviewer=supervisor)
    with pytest.raises(ValidationError):
        services.review_item_decide(item=item, reviewer=supervisor, decision="maybe")


def test_the_researcher_cannot_review_when_there_is_a_supervisor(study, researcher, supervisor, co_researcher, coded):
    code, _excerpts, _hidden = coded
    batch = services.review_batch_create(study=study, actor=researcher, title="B", code=code)
    services.review_batch_submit(batch=batch, actor=researcher)
    item = batch.items.first()
    for user in (researcher, co_researcher):
        with pytest.raises(PermissionDenied):
            services.review_item_decide(item=item, reviewer=user, decision=ReviewItem.Decision.APPROVED)
    item.refresh_from_db()
    assert item.decision == ReviewItem.Decision.PENDING


def test_without_a_supervisor_co_researchers_review_each_other(study, researcher, coded):
    code, _excerpts, _hidden = coded
    partner = UserFactory(email="partner@uni.no")
    MembershipFactory(study=study, user=partner, role=Membership.Role.CO_RESEARCHER)
    batch = services.review_batch_create(study=study, actor=researcher, title="B", code=code)
    services.review_batch_submit(batch=batch, actor=researcher)
    item = batch.items.first()
    with pytest.raises(PermissionDenied):  # not one's own batch
        services.review_item_decide(item=item, reviewer=researcher, decision=ReviewItem.Decision.APPROVED)
    services.review_item_decide(item=item, reviewer=partner, decision=ReviewItem.Decision.APPROVED)
    item.refresh_from_db()
    assert item.decided_by == partner


def test_excerpts_of_another_study_cannot_be_submitted(study, researcher, outsider, coded):
    from cases.models import Study

    other_study = Study.objects.get(created_by=outsider)
    _code, excerpts, _hidden = coded
    with pytest.raises(ValidationError):
        services.review_batch_create(study=other_study, actor=outsider, title="B", excerpt_ids=[excerpts[0].pk])
    assert not ReviewBatch.objects.exists()
