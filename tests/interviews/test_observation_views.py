"""Observation screens: checklist, counts, notes, side-by-side field notes, agenda and other attendees."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import StoredFile
from interviews.importers import ImportedText
from interviews.models import ChecklistTick, FieldNoteDisagreement, ObservationNote, OtherAttendee, Source
from interviews.services.sources import source_create
from tests.cases.uploads import media_root_fixture, pdf_bytes  # noqa: F401
from tests.factories import SessionFactory
from tests.interviews.observation_world import build_observation_world, observation_guide, weekly_meetings


def _notes(session, observer, text):
    return source_create(
        study=session.study,
        actor=observer,
        imported=ImportedText(text=text, format=Source.Format.PASTED),
        title=f"Feltnotater {observer.display_name}",
        kind=Source.Kind.FIELD_NOTES,
        session=session,
        observer=observer,
    )


@pytest.mark.parametrize("meetings", [2, 8])
def test_counts_page_reads_all_meetings_but_one_in_constant_queries(
    researcher_client, study, researcher, django_assert_num_queries, meetings
):
    world = build_observation_world(study, researcher, meetings=meetings)
    # session, user with membership and study, the meetings, the ticks, the points
    with django_assert_num_queries(5):
        response = researcher_client.get(reverse("observation_counts", args=[study.pk]))
    page = response.content.decode()
    assert page.count("data-point=") == len(world.guide.questions)
    row = page.split(f'data-point="{world.asked_for_deviations.pk}"')[1].split("</tr>")[0]
    expected = "in all meetings but one" if meetings >= 3 else "in both meetings"
    assert expected in row
    assert ("not in OBS04" in row) == (meetings >= 4)


@pytest.mark.parametrize("extra_points", [0, 6])
def test_checklist_page_queries_do_not_grow_with_points(
    researcher_client, study, researcher, django_assert_num_queries, extra_points
):
    world = build_observation_world(study, researcher, meetings=2)
    theme = world.guide.version.themes.first()
    for index in range(extra_points):
        theme.questions.create(text=f"Ekstra punkt {index}", position=100 + index)
    session = world.sessions[0]
    # session, user with membership and study, the session with its guide, the points, the ticks
    with django_assert_num_queries(5):
        response = researcher_client.get(reverse("observation_checklist", args=[study.pk, session.pk]))
    assert response.content.decode().count("data-point=") == len(world.guide.questions) + extra_points


def test_ticking_the_checklist(researcher_client, study, researcher):
    world = build_observation_world(study, researcher, meetings=1)
    session = world.sessions[0]
    point = world.asked_for_deviations
    data = {f"answer-{q.pk}": "na" for q in world.guide.questions}
    data[f"answer-{point.pk}"] = "no"
    data[f"note-{point.pk}"] = "Ingen avvik meldt denne uka."
    response = researcher_client.post(reverse("observation_checklist_save", args=[study.pk, session.pk]), data)
    assert response.status_code == 302
    tick = ChecklistTick.objects.get(session=session, question=point)
    assert (tick.answer, tick.note) == ("no", "Ingen avvik meldt denne uka.")
    page = researcher_client.get(reverse("observation_checklist", args=[study.pk, session.pk])).content.decode()
    assert f'id="answer-{point.pk}-no" value="no" checked' in page


def test_a_forged_answer_is_refused_and_nothing_is_written(researcher_client, study, researcher):
    world = build_observation_world(study, researcher, meetings=1)
    session = world.sessions[0]
    before = sorted(ChecklistTick.objects.values_list("question_id", "answer"))
    data = {f"answer-{q.pk}": "yes" for q in world.guide.questions}
    data[f"answer-{world.asked_for_deviations.pk}"] = "maybe"
    response = researcher_client.post(reverse("observation_checklist_save", args=[study.pk, session.pk]), data)
    assert response.status_code == 400
    assert "yes, no or not applicable" in response.content.decode()
    assert 'value="maybe"' not in response.content.decode()
    assert sorted(ChecklistTick.objects.values_list("question_id", "answer")) == before


def test_a_point_of_another_guide_in_the_post_is_ignored(researcher_client, study, researcher):
    world = build_observation_world(study, researcher, meetings=1)
    other = observation_guide(study, researcher)
    session = world.sessions[0]
    response = researcher_client.post(
        reverse("observation_checklist_save", args=[study.pk, session.pk]), {f"answer-{other.questions[0].pk}": "yes"}
    )
    assert response.status_code == 302
    assert not ChecklistTick.objects.filter(question__in=other.questions).exists()


def test_a_supervisor_reads_the_checklist_but_cannot_tick(supervisor_client, study, researcher):
    world = build_observation_world(study, researcher, meetings=1)
    session = world.sessions[0]
    page = supervisor_client.get(reverse("observation_checklist", args=[study.pk, session.pk])).content.decode()
    assert "disabled" in page and "Save checklist" not in page
    point = world.asked_for_deviations
    response = supervisor_client.post(
        reverse("observation_checklist_save", args=[study.pk, session.pk]), {f"answer-{point.pk}": "no"}
    )
    assert response.status_code == 403
    assert ChecklistTick.objects.get(session=session, question=point).answer == "yes"


def test_another_studys_session_is_404(researcher_client, outsider):
    other_session = SessionFactory(study=outsider.memberships.get().study, kind="observation")
    response = researcher_client.get(reverse("observation_checklist", args=[other_session.study_id, other_session.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("attendees", [1, 5])
def test_observation_session_page_queries_do_not_grow(
    researcher_client, study, researcher, django_assert_num_queries, attendees
):
    session = SessionFactory(study=study, kind="observation")
    for index in range(attendees):
        OtherAttendee.objects.create(session=session, role=f"Rolle {index}")
    # session, user with membership and study, the session with its relations, observers, attendance, recordings, others,
    # the agenda's text sources, the comment threads on the session
    with django_assert_num_queries(9):
        response = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk]))
    assert response.content.decode().count("data-attendee=") == attendees


def test_other_attendees_by_role(researcher_client, study):
    session = SessionFactory(study=study, kind="observation")
    url = reverse("other_attendee_add", args=[study.pk, session.pk])
    assert researcher_client.post(url, {"kind": "other", "role": "", "count": 1}).status_code == 400
    response = researcher_client.post(url, {"kind": "researcher", "role": "Fullt deltakende", "count": 1})
    assert response.status_code == 302
    attendee = OtherAttendee.objects.get()
    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert "Fullt deltakende" in page and "The researcher" in page
    researcher_client.post(reverse("other_attendee_remove", args=[study.pk, attendee.pk]))
    assert not OtherAttendee.objects.exists()


def test_agenda_upload_is_checked_by_content(researcher_client, study, media_root):
    session = SessionFactory(study=study, kind="observation")
    url = reverse("session_agenda", args=[study.pk, session.pk])
    fake = SimpleUploadedFile("agenda.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    response = researcher_client.post(url, {"agenda": fake})
    assert response.status_code == 400
    assert not StoredFile.objects.exists()
    real = SimpleUploadedFile("agenda.pdf", pdf_bytes(), content_type="application/pdf")
    assert researcher_client.post(url, {"agenda": real}).status_code == 302
    session.refresh_from_db()
    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert reverse("file_download", args=[study.pk, session.agenda_id]) in page
    response = researcher_client.post(url, {"text": "Saksliste\r\n• Gjennomgang av rapporterte avvik"})
    source = Source.objects.get(kind=Source.Kind.DOCUMENT, session=session)
    assert source.text == "Saksliste\n• Gjennomgang av rapporterte avvik"
    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert reverse("coding_view", args=[study.pk, source.pk]) in page
    assert researcher_client.post(url, {}).status_code == 400


def test_typed_notes_and_the_codable_source(researcher_client, study, researcher, co_researcher):
    session = SessionFactory(study=study, kind="observation")
    url = reverse("observation_note_add", args=[study.pk, session.pk])
    assert researcher_client.post(url, {"observer": researcher.pk, "note_type": "said", "text": ""}).status_code == 400
    for note_type, text in [("said", "«Det har hjulpet»"), ("non_verbal", "Lener seg fram")]:
        response = researcher_client.post(url, {"observer": researcher.pk, "note_type": note_type, "text": text})
        assert response.status_code == 302
    researcher_client.post(url, {"observer": co_researcher.pk, "note_type": "reflection", "text": "Jeg var usikker"})
    page = researcher_client.get(reverse("observation_notes", args=[study.pk, session.pk])).content.decode()
    assert page.count("data-observer=") == 2 and page.count("data-note=") == 3
    response = researcher_client.post(
        reverse("observation_notes_to_source", args=[study.pk, session.pk]), {"observer": researcher.pk}
    )
    source = Source.objects.get(kind=Source.Kind.FIELD_NOTES)
    assert response.url == reverse("coding_view", args=[study.pk, source.pk])
    assert researcher_client.get(response.url).status_code == 200
    note = ObservationNote.objects.first()
    researcher_client.post(reverse("observation_note_delete", args=[study.pk, note.pk]))
    assert ObservationNote.objects.count() == 2


def test_side_by_side_disagreement_and_reconciled_version(researcher_client, study, researcher, co_researcher):
    session = SessionFactory(study=study, kind="observation")
    first = _notes(session, researcher, "EL1 lente seg fram.")
    second = _notes(session, co_researcher, "EL1 virket oppgitt.")
    page = researcher_client.get(reverse("field_notes_compare", args=[study.pk, session.pk])).content.decode()
    assert "EL1 lente seg fram." in page and "EL1 virket oppgitt." in page
    assert page.count("data-source=") == 2
    data = {
        "topic": "EL1s engasjement",
        "first_source": first.pk,
        "first_view": "Ivrig",
        "second_source": second.pk,
        "second_view": "Oppgitt",
    }
    response = researcher_client.post(reverse("disagreement_record", args=[study.pk, session.pk]), data)
    assert response.status_code == 302
    disagreement = FieldNoteDisagreement.objects.get()
    researcher_client.post(
        reverse("disagreement_resolve", args=[study.pk, disagreement.pk]), {"resolution": "Begge deler stemmer."}
    )
    disagreement.refresh_from_db()
    assert disagreement.resolution == "Begge deler stemmer."
    response = researcher_client.post(
        reverse("reconciled_notes_create", args=[study.pk, session.pk]),
        {"title": "Avstemt", "text": "EL1 var ivrig om avvik, oppgitt om tid."},
    )
    reconciled = Source.objects.get(kind=Source.Kind.RECONCILED_NOTES)
    assert researcher_client.get(reverse("coding_view", args=[study.pk, reconciled.pk])).status_code == 200
    page = researcher_client.get(reverse("field_notes_compare", args=[study.pk, session.pk])).content.decode()
    assert "data-reconciled=" in page and "Begge deler stemmer." in page


def test_a_disagreement_over_another_meetings_notes_is_refused(researcher_client, study, researcher, co_researcher):
    session = SessionFactory(study=study, kind="observation")
    other = SessionFactory(study=study, kind="observation")
    first = _notes(session, researcher, "A")
    _notes(session, co_researcher, "B")
    foreign = _notes(other, co_researcher, "C")
    data = {"topic": "X", "first_source": first.pk, "first_view": "a", "second_source": foreign.pk, "second_view": "b"}
    response = researcher_client.post(reverse("disagreement_record", args=[study.pk, session.pk]), data)
    assert response.status_code == 400
    assert "Choose field notes of this session." in response.content.decode()
    assert not FieldNoteDisagreement.objects.exists()


@pytest.mark.parametrize("sources", [2, 4])
def test_side_by_side_queries_do_not_grow(
    researcher_client, study, researcher, co_researcher, django_assert_num_queries, sources
):
    session = SessionFactory(study=study, kind="observation")
    notes = [_notes(session, [researcher, co_researcher][i % 2], f"Notat {i}") for i in range(sources)]
    for index in range(sources):
        FieldNoteDisagreement.objects.create(
            session=session,
            topic=f"T{index}",
            first_source=notes[0],
            first_view="a",
            second_source=notes[1],
            second_view="b",
            created_by=researcher,
        )
    # session, user with membership and study, session, sources, disagreements, the form's source choices are given as a list
    with django_assert_num_queries(5):
        response = researcher_client.get(reverse("field_notes_compare", args=[study.pk, session.pk]))
    assert response.content.decode().count("data-disagreement=") == sources


def test_meetings_count_over_weeks(study, researcher):
    world = build_observation_world(study, researcher, meetings=3)
    weekly_meetings(study, world.guide.version, 2, first_code=10)
    assert study.sessions.filter(kind="observation").count() == 5


def test_observation_and_questionnaire_pages_speak_bokmal(researcher_client, study, researcher):
    from cases.services.questionnaires import questionnaire_create

    world = build_observation_world(study, researcher, meetings=3)
    researcher_client.post(reverse("set_language"), {"language": "nb", "next": "/"})
    counts = researcher_client.get(reverse("observation_counts", args=[study.pk])).content.decode()
    assert "Opptelling på tvers av observerte møter" in counts and "i alle møter bortsett fra ett" in counts
    checklist = reverse("observation_checklist", args=[study.pk, world.sessions[0].pk])
    assert "Lagre sjekklisten" in researcher_client.get(checklist).content.decode()
    version = questionnaire_create(study=study, actor=researcher, title="Evaluering").versions.get()
    page = researcher_client.get(reverse("questionnaire_version", args=[study.pk, version.pk])).content.decode()
    assert "Legg til del" in page
