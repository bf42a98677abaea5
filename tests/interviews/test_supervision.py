"""Supervision meetings: the log, its decisions and what they changed; roles, isolation, escaping, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models import AuditEvent, Instrument
from interviews.models import Code, SupervisionDecision, SupervisionMeeting
from interviews.services import supervision as services
from tests.factories import ResearchQuestionFactory, SessionFactory, StudyFactory

pytestmark = pytest.mark.django_db

AREA = SupervisionDecision.Area


@pytest.fixture
def rq(study):
    return ResearchQuestionFactory(study=study, label="RQ1")


@pytest.fixture
def session(study):
    return SessionFactory(study=study, code="S01")


@pytest.fixture
def meeting(study, researcher):
    return services.supervision_meeting_create(study=study, actor=researcher, held_on=dt.date(2017, 1, 5), notes="N")


@pytest.fixture
def decision(meeting, researcher, rq):
    return services.supervision_decision_add(
        meeting=meeting, actor=researcher, text="Avgrens RQ1", area=AREA.DESIGN, research_question=rq
    )


def state() -> tuple:
    return (
        list(SupervisionMeeting.objects.order_by("pk").values_list("pk", "held_on", "notes")),
        list(SupervisionDecision.objects.order_by("pk").values_list("pk", "text", "is_done", "session_id")),
        AuditEvent.objects.count(),
    )


def test_create_meeting_with_attendees_and_two_linked_decisions(
    researcher_client, study, researcher, supervisor, rq, session
):
    page = researcher_client.get(reverse("supervision_meeting_create", args=[study.pk])).content.decode()
    assert supervisor.full_name in page and "Otto" not in page
    response = researcher_client.post(
        reverse("supervision_meeting_create", args=[study.pk]),
        {"held_on": "2017-01-05", "attendees": [researcher.pk, supervisor.pk], "notes": "Vi snakket om utvalget."},
    )
    meeting = SupervisionMeeting.objects.get(study=study)
    assert response.status_code == 302
    assert response.url == reverse("supervision_decision_add", args=[study.pk, meeting.pk])
    assert set(meeting.attendees.all()) == {researcher, supervisor}
    assert meeting.created_by == researcher

    add_url = reverse("supervision_decision_add", args=[study.pk, meeting.pk])
    assert researcher_client.get(add_url).status_code == 200
    researcher_client.post(add_url, {"text": "Omformuler RQ1", "area": AREA.DESIGN, "research_question": rq.pk})
    researcher_client.post(add_url, {"text": "Utvalget er avgjort", "area": AREA.SAMPLING, "session": session.pk})

    first, second = meeting.decisions.all()
    assert (first.text, first.research_question, first.position) == ("Omformuler RQ1", rq, 0)
    assert (second.text, second.session, second.area, second.position) == (
        "Utvalget er avgjort",
        session,
        "sampling",
        1,
    )
    actions = list(AuditEvent.objects.filter(study=study).values_list("action", flat=True))
    assert actions.count("supervision_decision.added") == 2
    assert "supervision_meeting.created" in actions
    # Ids only: the notes and the decision text never reach the audit trail.
    assert not AuditEvent.objects.filter(data__icontains="utvalget").exists()
    assert not AuditEvent.objects.filter(target_label__icontains="utvalget").exists()

    html = researcher_client.get(reverse("supervision_list", args=[study.pk])).content.decode()
    assert "RQ1" in html and "S01" in html
    assert reverse("session_detail", args=[study.pk, session.pk]) in html
    assert reverse("study_detail", args=[study.pk]) in html
    assert "2 open decisions" in html


def test_attendee_outside_the_study_is_refused(study, researcher, outsider):
    with pytest.raises(ValidationError) as error:
        services.supervision_meeting_create(
            study=study, actor=researcher, held_on=dt.date(2017, 1, 5), attendees=[outsider]
        )
    assert "attendees" in error.value.message_dict
    assert not SupervisionMeeting.objects.exists()


def test_toggle_done_and_back(researcher_client, study, decision):
    url = reverse("supervision_decision_toggle", args=[study.pk, decision.pk])
    assert researcher_client.get(url).status_code == 405
    researcher_client.post(url)
    decision.refresh_from_db()
    assert decision.is_done
    assert "0 open decisions" in researcher_client.get(reverse("supervision_list", args=[study.pk])).content.decode()
    researcher_client.post(url)
    decision.refresh_from_db()
    assert not decision.is_done
    assert list(
        AuditEvent.objects.filter(target_id=decision.pk, action__startswith="supervision_decision.")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == ["supervision_decision.added", "supervision_decision.done", "supervision_decision.reopened"]


def test_link_to_another_studys_object_is_refused(researcher_client, study, meeting, decision):
    other = StudyFactory()
    foreign_session = SessionFactory(study=other)
    foreign_code = Code.objects.create(study=other, name="Fremmed", created_by=other.created_by)
    before = state()
    add = researcher_client.post(
        reverse("supervision_decision_add", args=[study.pk, meeting.pk]),
        {"text": "Lenke", "area": AREA.FIELDWORK, "session": foreign_session.pk, "code": foreign_code.pk},
    )
    edit = researcher_client.post(
        reverse("supervision_decision_edit", args=[study.pk, decision.pk]),
        {"text": "Endret", "area": AREA.FIELDWORK, "session": foreign_session.pk},
    )
    assert add.status_code == edit.status_code == 400
    assert "session" in add.context["form"].errors and "code" in add.context["form"].errors
    assert "session" in edit.context["form"].errors
    assert state() == before
    # The service refuses it too, whatever the form lets through.
    with pytest.raises(ValidationError) as error:
        services.supervision_decision_add(meeting=meeting, actor=meeting.created_by, text="x", session=foreign_session)
    assert "session" in error.value.message_dict
    assert state() == before


def test_edit_meeting_and_decision(researcher_client, study, researcher, meeting, decision, session):
    instrument = Instrument.objects.create(study=study, title="Intervjuguide ledere")
    response = researcher_client.post(
        reverse("supervision_meeting_edit", args=[study.pk, meeting.pk]),
        {"held_on": "2017-02-01", "attendees": [researcher.pk], "notes": "Nytt"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.notes, list(meeting.attendees.all())) == (
        dt.date(2017, 2, 1),
        "Nytt",
        [researcher],
    )
    researcher_client.post(
        reverse("supervision_decision_edit", args=[study.pk, decision.pk]),
        {"text": "Ny guide", "area": AREA.INSTRUMENTS, "instrument": instrument.pk},
    )
    decision.refresh_from_db()
    assert (decision.text, decision.instrument, decision.research_question) == ("Ny guide", instrument, None)
    html = researcher_client.get(reverse("supervision_list", args=[study.pk])).content.decode()
    assert "Intervjuguide ledere" in html and reverse("instrument_list", args=[study.pk]) in html


def test_delete_decision_and_meeting(researcher_client, study, meeting, decision):
    researcher_client.post(reverse("supervision_decision_delete", args=[study.pk, decision.pk]))
    assert not SupervisionDecision.objects.exists()
    researcher_client.post(reverse("supervision_meeting_delete", args=[study.pk, meeting.pk]))
    assert not SupervisionMeeting.objects.exists()
    assert AuditEvent.objects.filter(action="supervision_meeting.deleted", target_id=meeting.pk).exists()


def write_urls(study, meeting, decision) -> list[tuple[str, str, dict]]:
    data = {"held_on": "2018-01-01", "notes": "x", "text": "x", "area": AREA.OTHER}
    return [
        ("get", reverse("supervision_meeting_create", args=[study.pk]), {}),
        ("post", reverse("supervision_meeting_create", args=[study.pk]), data),
        ("post", reverse("supervision_meeting_edit", args=[study.pk, meeting.pk]), data),
        ("post", reverse("supervision_decision_add", args=[study.pk, meeting.pk]), data),
        ("post", reverse("supervision_decision_edit", args=[study.pk, decision.pk]), data),
        ("post", reverse("supervision_decision_toggle", args=[study.pk, decision.pk]), {}),
        ("post", reverse("supervision_decision_delete", args=[study.pk, decision.pk]), {}),
        ("post", reverse("supervision_meeting_delete", args=[study.pk, meeting.pk]), {}),
    ]


def test_the_empty_list_speaks_to_whoever_reads_it(researcher_client, supervisor_client, study):
    url = reverse("supervision_list", args=[study.pk])
    student, supervisor = researcher_client.get(url).content.decode(), supervisor_client.get(url).content.decode()
    assert "Record each meeting with your supervisor" in student
    assert "Record the first meeting" in student
    assert "The student records each supervision meeting here" in supervisor
    assert "with your supervisor" not in supervisor


def test_supervisor_reads_but_every_write_is_403(supervisor_client, study, meeting, decision):
    before = state()
    response = supervisor_client.get(reverse("supervision_list", args=[study.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Avgrens RQ1" in html
    assert reverse("supervision_meeting_create", args=[study.pk]) not in html
    assert reverse("supervision_decision_toggle", args=[study.pk, decision.pk]) not in html
    assert reverse("supervision_meeting_edit", args=[study.pk, meeting.pk]) not in html
    for method, url, data in write_urls(study, meeting, decision):
        assert getattr(supervisor_client, method)(url, data).status_code == 403, url
    assert state() == before


def test_outsider_gets_404_everywhere(outsider_client, study, meeting, decision):
    before = state()
    urls = [("get", reverse("supervision_list", args=[study.pk]), {})] + write_urls(study, meeting, decision)
    for method, url, data in urls:
        assert getattr(outsider_client, method)(url, data).status_code == 404, url
    assert state() == before


def test_objects_of_another_study_are_404_in_my_study(researcher_client, study):
    other = StudyFactory()
    foreign = services.supervision_meeting_create(study=other, actor=other.created_by, held_on=dt.date(2017, 1, 1))
    foreign_decision = services.supervision_decision_add(meeting=foreign, actor=other.created_by, text="x")
    for url in (
        reverse("supervision_meeting_edit", args=[study.pk, foreign.pk]),
        reverse("supervision_decision_add", args=[study.pk, foreign.pk]),
        reverse("supervision_decision_edit", args=[study.pk, foreign_decision.pk]),
        reverse("supervision_decision_toggle", args=[study.pk, foreign_decision.pk]),
    ):
        assert researcher_client.post(url, {}).status_code == 404, url
    assert (
        researcher_client.get(reverse("supervision_decision_toggle", args=[study.pk, foreign_decision.pk])).status_code
        == 404
    )


def test_empty_state_explains_the_log(researcher_client, supervisor_client, study, supervisor):
    html = researcher_client.get(reverse("supervision_list", args=[study.pk])).content.decode()
    assert "No supervision meetings recorded yet." in html
    assert "sampling was settled after the first supervision meeting" in html
    assert reverse("supervision_meeting_create", args=[study.pk]) in html
    html = supervisor_client.get(reverse("supervision_list", args=[study.pk])).content.decode()
    assert "No supervision meetings recorded yet." in html
    assert reverse("supervision_meeting_create", args=[study.pk]) not in html


@pytest.mark.parametrize("size", [1, 10])
def test_list_query_count_does_not_grow(
    researcher_client, study, researcher, supervisor, rq, session, django_assert_num_queries, size
):
    code = Code.objects.create(study=study, name="Ledelse", created_by=researcher)
    instrument = Instrument.objects.create(study=study, title="Guide")
    for n in range(size):
        meeting = services.supervision_meeting_create(
            study=study, actor=researcher, held_on=dt.date(2017, 1, 1) + dt.timedelta(days=n), attendees=[supervisor]
        )
        services.supervision_decision_add(
            meeting=meeting, actor=researcher, text=f"Vedtak om utvalg {n:02d}", research_question=rq
        )
        services.supervision_decision_add(meeting=meeting, actor=researcher, text=f"B{n}", code=code, session=session)
        services.supervision_decision_add(meeting=meeting, actor=researcher, text=f"C{n}", instrument=instrument)
    # session, user with membership and study, meetings, decisions with their links, attendees
    with django_assert_num_queries(5):
        response = researcher_client.get(reverse("supervision_list", args=[study.pk]))
    html = response.content.decode()
    assert html.count('data-decision="') == 3 * size
    if size > 1:  # newest first
        assert html.index(f"Vedtak om utvalg {size - 1:02d}") < html.index("Vedtak om utvalg 00")


def test_notes_and_decision_text_are_escaped(researcher_client, study, researcher):
    meeting = services.supervision_meeting_create(
        study=study, actor=researcher, held_on=dt.date(2017, 1, 5), notes="<script>alert('n')</script>"
    )
    services.supervision_decision_add(meeting=meeting, actor=researcher, text="<script>alert('d')</script>")
    for url in (
        reverse("supervision_list", args=[study.pk]),
        reverse("supervision_decision_add", args=[study.pk, meeting.pk]),
    ):
        html = researcher_client.get(url).content.decode()
        assert "<script>alert(" not in html
        assert "&lt;script&gt;alert(" in html
