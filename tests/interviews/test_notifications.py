"""Review e-mail: to the reviewers on submit, to the creator on decision, after commit, with the opt-out."""

import pytest
from django.core import mail

from interviews.models import ReviewItem
from interviews.services import review as services
from tests.factories import InformantFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

TEXT = "I1: Vi prøvde noe nytt på avdelingen.\n"


@pytest.fixture
def batch(study, researcher):
    informant = InformantFactory(study=study, code="K1")
    informant.consents.create(given_on="2017-01-02", recorded_by=researcher)
    source = make_source(study, TEXT, informants={"I1": informant})
    code = make_code(study, "Forbedring")
    excerpt = make_excerpt(source, 4, len(TEXT) - 1, code)
    excerpt.speakers.set([informant])
    return services.review_batch_create(study=study, actor=researcher, title="Forbedring, runde 1", code=code)


def test_submit_mails_the_supervisor_once_after_commit(
    study, researcher, supervisor, batch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.review_batch_submit_and_notify(batch=batch, actor=researcher)
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [supervisor.email]
    assert f"/studies/{study.pk}/review/{batch.pk}/" in message.body
    assert "Forbedring, runde 1" in message.subject


def test_nothing_is_sent_before_commit(study, researcher, supervisor, batch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.review_batch_submit_and_notify(batch=batch, actor=researcher)
    assert mail.outbox == []


def test_opted_out_reviewer_gets_no_mail(study, researcher, supervisor, batch, django_capture_on_commit_callbacks):
    supervisor.notify_by_email = False
    supervisor.save(update_fields=["notify_by_email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.review_batch_submit_and_notify(batch=batch, actor=researcher)
    assert mail.outbox == []


def test_decision_mails_the_researcher_in_the_studys_language(
    study, researcher, supervisor, batch, django_capture_on_commit_callbacks
):
    study.language = "en"
    study.save(update_fields=["language"])
    services.review_batch_submit(batch=batch, actor=researcher)
    for item in batch.items.all():
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.CHANGE_REQUESTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_batch_decide_and_notify(batch=batch, reviewer=supervisor)
    assert [message.to for message in mail.outbox] == [[researcher.email]]
    assert "Changes requested" in mail.outbox[0].body
    assert f"/studies/{study.pk}/review/{batch.pk}/" in mail.outbox[0].body


def test_opted_out_researcher_gets_no_decision_mail(
    study, researcher, supervisor, batch, django_capture_on_commit_callbacks
):
    researcher.notify_by_email = False
    researcher.save(update_fields=["notify_by_email"])
    services.review_batch_submit(batch=batch, actor=researcher)
    for item in batch.items.all():
        services.review_item_decide(item=item, reviewer=supervisor, decision=ReviewItem.Decision.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.review_batch_decide_and_notify(batch=batch, reviewer=supervisor)
    assert batch.state == "approved"
    assert mail.outbox == []


def test_co_researchers_are_mailed_when_there_is_no_supervisor(
    study, researcher, co_researcher, batch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.review_batch_submit_and_notify(batch=batch, actor=researcher)
    assert [message.to for message in mail.outbox] == [[co_researcher.email]]
