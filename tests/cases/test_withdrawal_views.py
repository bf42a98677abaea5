"""The withdrawal page: what will happen, the cascade in one POST, and who may do it."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.models import Informant, Study, WithdrawalTombstone
from cases.services.consent import consent_withdraw
from tests.cases.uploads import media_root_fixture  # noqa: F401  (each test stores files in its own folder)
from tests.cases.withdrawal_world import build
from tests.factories import ConsentRecordFactory, InformantFactory

pytestmark = pytest.mark.django_db


def url(study, informant) -> str:
    return reverse("informant_withdraw", args=[study.pk, informant.pk])


def test_the_page_lists_what_will_happen_under_the_studys_policy(researcher_client, study):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    response = researcher_client.get(url(study, w.tv5))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-withdrawal-plan="delete"' in content
    for phrase in (
        "3 excerpts that contain their words are deleted",
        "1 source where only they speak",
        "1 group source gets a new version",
        "1 memo quotes them",
        "1 signed consent form is deleted",
        "1 generated report contains them",
        "1 recording of a session where they were the only informant",
        "1 recording of a group session with other informants is kept",
    ):
        assert phrase in content, phrase
    assert "Tove" not in content  # the key list is never shown here
    assert Informant.objects.filter(pk=w.tv5.pk).exists()


def test_anonymise_policy_says_so(researcher_client, study):
    w = build(study, action=Study.WithdrawalAction.ANONYMISE)
    content = researcher_client.get(url(study, w.tv5)).content.decode()
    assert 'data-withdrawal-plan="anonymise"' in content
    assert "3 excerpts are kept but no longer linked to them" in content


def test_post_carries_it_out_and_quotes_the_counts(researcher_client, study, django_capture_on_commit_callbacks):
    w = build(study, action=Study.WithdrawalAction.DELETE)
    with django_capture_on_commit_callbacks(execute=True):
        response = researcher_client.post(url(study, w.tv5), {"withdrawn_on": "2017-03-01", "confirm": "on"})
    assert response.status_code == 302 and response.url == reverse("consent_list", args=[study.pk])
    message = [str(m) for m in get_messages(response.wsgi_request)][0]
    assert "3 excerpts deleted" in message and "1 source deleted" in message and "1 report no longer served" in message
    assert "TV5" not in message
    assert not Informant.objects.filter(pk=w.tv5.pk).exists()
    assert WithdrawalTombstone.objects.get(study=study).performed_by == w.actor
    # Gone now: the URL names an informant that no longer exists.
    assert researcher_client.get(url(study, w.tv5)).status_code == 404


def test_post_without_confirmation_writes_nothing(researcher_client, study):
    informant = InformantFactory(study=study, code="TV5")
    response = researcher_client.post(url(study, informant), {"withdrawn_on": "2017-03-01"})
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    assert Informant.objects.filter(pk=informant.pk).exists() and not WithdrawalTombstone.objects.exists()


def test_an_anonymised_informant_is_not_withdrawn_twice(
    co_researcher_client, study, django_capture_on_commit_callbacks
):
    study.withdrawal_action = Study.WithdrawalAction.ANONYMISE
    study.save()
    informant = InformantFactory(study=study, code="TV5")
    data = {"withdrawn_on": "2017-03-01", "confirm": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert co_researcher_client.post(url(study, informant), data).status_code == 302
    response = co_researcher_client.post(url(study, informant), data)
    assert response.status_code == 302
    assert "already been carried out" in str(list(get_messages(response.wsgi_request))[-1])
    assert WithdrawalTombstone.objects.count() == 1


def test_supervisor_gets_403_and_outsider_404(supervisor_client, outsider_client, study):
    informant = InformantFactory(study=study, code="TV5")
    data = {"withdrawn_on": "2017-03-01", "confirm": "on"}
    assert supervisor_client.get(url(study, informant)).status_code == 403
    assert supervisor_client.post(url(study, informant), data).status_code == 403
    assert outsider_client.get(url(study, informant)).status_code == 404
    assert outsider_client.post(url(study, informant), data).status_code == 404
    assert Informant.objects.filter(pk=informant.pk).exists()


def test_consent_history_links_a_pending_withdrawal_to_the_cascade(researcher_client, supervisor_client, study):
    informant = InformantFactory(study=study, code="TV5")
    ConsentRecordFactory(informant=informant)
    history = reverse("consent_history", args=[study.pk, informant.pk])
    assert url(study, informant) not in researcher_client.get(history).content.decode()
    consent_withdraw(informant=informant, actor=study.created_by, withdrawn_on=informant.consents.get().given_on)
    assert url(study, informant) in researcher_client.get(history).content.decode()
    assert url(study, informant) not in supervisor_client.get(history).content.decode()
