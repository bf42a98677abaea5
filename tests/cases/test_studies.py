import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import AuditEvent, Invitation, Membership, ResearchQuestion, Study, User
from cases.services import studies as services
from tests.conftest import client_for
from tests.factories import StudyFactory, UserFactory

pytestmark = pytest.mark.django_db


def study_payload(**overrides):
    data = {
        "title": "Kundedrevet innovasjon",
        "working_title": "Kundeverksted som metode",
        "problem_kind": "question",
        "problem_statement": "På hvilken måte kan bruk av kundeverksted være en hensiktsmessig metode?",
        "design": "Instrumentell enkeltcasestudie",
        "theory_framework": "Innovasjon, kunnskapsledelse",
        "institution": "HiNT",
        "programme": "Master i kunnskapsledelse",
        "year": "2015",
        "language": "nb",
        "start_date": "2014-07-01",
        "end_date": "2015-08-31",
    }
    data.update(overrides)
    return data


def test_researcher_creates_a_study_and_becomes_its_owner(db):
    user = UserFactory()
    response = client_for(user).post(reverse("study_create"), study_payload())
    study = Study.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("study_detail", args=[study.pk])
    assert study.memberships.get().role == Membership.Role.OWNER
    assert study.memberships.get().user == user
    assert AuditEvent.objects.filter(study=study, action="study.created", actor=user).exists()


def test_end_date_before_start_is_refused_and_nothing_is_written(db):
    user = UserFactory()
    response = client_for(user).post(
        reverse("study_create"), study_payload(start_date="2015-08-31", end_date="2014-07-01")
    )
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    assert Study.objects.count() == 0


def test_home_lists_only_the_users_studies(researcher_client, study, outsider):
    response = researcher_client.get(reverse("home"))
    assert study.title in response.content.decode()
    assert "Someone else&#x27;s study" not in response.content.decode()


def test_research_questions_are_ordered_and_can_be_moved(researcher_client, study, researcher):
    for label, text in [("RQ1", "Første"), ("RQ2", "Andre"), ("RQ3", "Tredje")]:
        response = researcher_client.post(
            reverse("rq_create", args=[study.pk]), {"label": label, "text": text, "colour": "#aa0000"}
        )
        assert response.status_code == 302
    rq3 = ResearchQuestion.objects.get(study=study, label="RQ3")
    researcher_client.post(reverse("rq_move", args=[study.pk, rq3.pk]), {"direction": "up"})
    assert list(study.research_questions.values_list("label", flat=True)) == ["RQ1", "RQ3", "RQ2"]
    page = researcher_client.get(reverse("study_detail", args=[study.pk])).content.decode()
    assert page.index("Tredje") < page.index("Andre")


def test_research_question_with_a_bad_colour_is_refused(researcher_client, study):
    response = researcher_client.post(
        reverse("rq_create", args=[study.pk]), {"label": "RQ1", "text": "x", "colour": "red"}
    )
    assert response.status_code == 400
    assert not study.research_questions.exists()


def test_invite_co_researcher_and_supervisor_by_email(researcher_client, study, django_capture_on_commit_callbacks):
    for email, role in [("co@uni.no", "co_researcher"), ("veileder@uni.no", "supervisor")]:
        with django_capture_on_commit_callbacks(execute=True):
            response = researcher_client.post(
                reverse("invitation_create", args=[study.pk]), {"email": email, "role": role}
            )
        assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["co@uni.no"], ["veileder@uni.no"]]
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[1].body).group(1)

    # The supervisor has no account yet: the link lets them create one for the invited address.
    anonymous = client_for(UserFactory(email="someone@uni.no"))
    anonymous.logout()
    page = anonymous.get(link)
    assert page.status_code == 200 and "veileder@uni.no" in page.content.decode()
    response = anonymous.post(
        link, {"full_name": "Siri Veileder", "password1": "Lang-passord-2026", "password2": "Lang-passord-2026"}
    )
    assert response.status_code == 302
    supervisor = User.objects.get(email="veileder@uni.no")
    assert Membership.objects.get(study=study, user=supervisor).role == Membership.Role.SUPERVISOR
    assert anonymous.get(reverse("study_overview", args=[study.pk])).status_code == 200

    # The link works once.
    assert anonymous.get(link).status_code == 404


def test_existing_user_accepts_invitation_after_login(researcher, study, django_capture_on_commit_callbacks):
    colleague = UserFactory(email="kollega@uni.no")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            study=study,
            actor=researcher,
            email="Kollega@UNI.no",
            role="co_researcher",
            accept_url_builder=lambda t: f"/invitations/{t}/",
        )
    link = reverse("invitation_accept", args=[invitation.token])
    client = client_for(colleague)
    assert client.get(reverse("study_overview", args=[study.pk])).status_code == 404
    assert client.post(link).status_code == 302
    assert client.get(reverse("study_overview", args=[study.pk])).status_code == 200


def test_invitation_for_someone_else_cannot_be_used(researcher, study, outsider):
    invitation = services.invitation_create(
        study=study, actor=researcher, email="intended@uni.no", role="supervisor", accept_url_builder=lambda t: t
    )
    client = client_for(outsider)
    client.post(reverse("invitation_accept", args=[invitation.token]))
    assert not Membership.objects.filter(study=study, user=outsider).exists()
    assert client.get(reverse("study_overview", args=[study.pk])).status_code == 404


def test_expired_invitation_is_refused(researcher, study):
    invitation = services.invitation_create(
        study=study, actor=researcher, email="late@uni.no", role="supervisor", accept_url_builder=lambda t: t
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at - dt.timedelta(days=1))
    assert client_for(UserFactory()).get(reverse("invitation_accept", args=[invitation.token])).status_code == 404


def test_inviting_an_existing_member_is_a_clear_error(researcher_client, study, supervisor):
    response = researcher_client.post(
        reverse("invitation_create", args=[study.pk]), {"email": supervisor.email, "role": "supervisor"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_supervisor_cannot_invite_or_edit(supervisor_client, study):
    assert (
        supervisor_client.post(
            reverse("invitation_create", args=[study.pk]), {"email": "x@uni.no", "role": "supervisor"}
        ).status_code
        == 403
    )
    assert (
        supervisor_client.post(reverse("study_edit", args=[study.pk]), study_payload(title="Hijacked")).status_code
        == 403
    )
    study.refresh_from_db()
    assert study.title != "Hijacked"
    assert not Invitation.objects.exists()


def test_co_researcher_has_equal_rights_but_not_the_settings(co_researcher_client, study):
    assert (
        co_researcher_client.post(reverse("study_edit", args=[study.pk]), study_payload(title="Nytt navn")).status_code
        == 302
    )
    assert co_researcher_client.get(reverse("study_settings", args=[study.pk])).status_code == 403


def test_owner_cannot_be_removed(researcher_client, study, researcher):
    owner = Membership.objects.get(study=study, user=researcher)
    researcher_client.post(reverse("member_remove", args=[study.pk, owner.pk]))
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_removed_member_loses_access(researcher_client, study, supervisor, supervisor_client):
    membership = Membership.objects.get(study=study, user=supervisor)
    researcher_client.post(reverse("member_remove", args=[study.pk, membership.pk]))
    assert supervisor_client.get(reverse("study_overview", args=[study.pk])).status_code == 404


def test_audit_page_lists_actions_with_actor(researcher_client, study, researcher):
    researcher_client.post(reverse("rq_create", args=[study.pk]), {"label": "RQ1", "text": "Hva?", "colour": "#112233"})
    page = researcher_client.get(reverse("audit_log", args=[study.pk])).content.decode()
    assert "research_question.created" in page
    assert researcher.full_name in page


def test_home_query_count_does_not_grow_with_studies(db, django_assert_num_queries):
    user = UserFactory()
    client = client_for(user)
    StudyFactory(created_by=user)
    client.get(reverse("home"))
    with django_assert_num_queries(3) as first:
        client.get(reverse("home"))
    for _ in range(5):
        StudyFactory(created_by=user)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("home"))


def test_study_edit_is_audited_with_the_changed_fields(researcher_client, study, researcher):
    response = researcher_client.post(
        reverse("study_edit", args=[study.pk]), study_payload(title="Ny tittel", design="Flercasestudie")
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(study=study, action="study.updated")
    assert event.actor == researcher
    assert {"title", "design"} <= set(event.data["fields"])
