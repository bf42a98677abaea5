"""Observed meetings: attendees by role, the agenda, the checklist, typed notes, reconciling two observers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import AuditEvent, Instrument, StoredFile
from cases.services.instruments import guide_question_add, guide_theme_add, instrument_create
from interviews.importers import ImportedText
from interviews.models import ChecklistTick, FieldNoteDisagreement, ObservationNote, OtherAttendee, Source
from interviews.selectors_observation import checklist_counts, field_notes_side_by_side, meetings_phrase
from interviews.services import observation as services
from interviews.services.sources import source_create
from tests.cases.uploads import files_under, media_root_fixture, pdf_upload  # noqa: F401
from tests.factories import IdentityRecordFactory, InformantFactory, SessionFactory, StudyFactory, UserFactory
from tests.interviews.observation_world import build_observation_world, observation_guide, weekly_meetings


@pytest.fixture
def world(study, researcher):
    return build_observation_world(study, researcher, meetings=12)


def _notes(session, observer, actor, text):
    return source_create(
        study=session.study,
        actor=actor,
        imported=ImportedText(text=text, format=Source.Format.PASTED),
        title=f"Feltnotater {observer.display_name}",
        kind=Source.Kind.FIELD_NOTES,
        session=session,
        observer=observer,
    )


def test_study_002_counts_come_out_as_in_the_thesis(study, world):
    (guide,) = checklist_counts(study)
    assert guide.meetings == 12
    rows = {point.question_id: point for point in guide.points}
    deviations = rows[world.asked_for_deviations.pk]
    assert (deviations.yes, deviations.no, deviations.not_recorded) == (11, 1, 0)
    assert deviations.phrase == "in all meetings but one"
    assert deviations.no_in == (world.sessions[3].code,)
    assert rows[world.improvement_topic.pk].phrase == "in all meetings but one"
    consent = next(point for point in guide.points if point.text == "Informert samtykke….")
    assert (consent.not_applicable, consent.phrase) == (12, "not recorded")
    assert deviations.research_question == "FS4"


@pytest.mark.parametrize(
    ("yes", "judged", "phrase"),
    [
        (12, 12, "in all 12 meetings"),
        (1, 1, "in the only meeting"),
        (2, 2, "in both meetings"),
        (11, 12, "in all meetings but one"),
        (0, 5, "in no meeting"),
        (1, 2, "in 1 of 2 meetings"),
        (7, 12, "in 7 of 12 meetings"),
        (0, 0, "not recorded"),
    ],
)
def test_meetings_phrase(yes, judged, phrase):
    assert meetings_phrase(yes, judged) == phrase


def test_counts_leave_out_planned_meetings_and_interview_guides(study, researcher, world):
    planned = weekly_meetings(study, world.guide.version, 1, first_code=50)[0]
    planned.status = "planned"
    planned.save()
    interview_guide = instrument_create(study=study, actor=researcher, title="Intervjuguide")
    theme = guide_theme_add(version=interview_guide.versions.get(), actor=researcher, title="Tema")
    guide_question_add(theme=theme, actor=researcher, text="Spørsmål")
    (guide,) = checklist_counts(study)
    assert guide.meetings == 12


def test_re_saving_the_same_ticks_changes_nothing(study, researcher, world):
    session = world.sessions[0]
    before = AuditEvent.objects.count()
    ticks = [
        services.TickInput(question_id=tick.question_id, answer=tick.answer, note=tick.note)
        for tick in session.checklist_ticks.all()
    ]
    assert services.checklist_save(session=session, actor=researcher, ticks=ticks) == 0
    assert AuditEvent.objects.count() == before


def test_an_empty_answer_removes_the_tick(study, researcher, world):
    session = world.sessions[0]
    question = world.asked_for_deviations
    changed = services.checklist_save(
        session=session, actor=researcher, ticks=[services.TickInput(question_id=question.pk, answer="")]
    )
    assert changed == 1
    assert not session.checklist_ticks.filter(question=question).exists()
    row = next(p for p in checklist_counts(study)[0].points if p.question_id == question.pk)
    assert (row.yes, row.not_recorded) == (10, 1)


def test_a_tick_with_a_note(researcher, world):
    session = world.sessions[3]
    services.checklist_save(
        session=session,
        actor=researcher,
        ticks=[services.TickInput(question_id=world.asked_for_deviations.pk, answer="no", note="  Saken utsatt.  ")],
    )
    tick = session.checklist_ticks.get(question=world.asked_for_deviations)
    assert (tick.answer, tick.note, tick.ticked_by) == ("no", "Saken utsatt.", researcher)


def test_a_point_of_another_guide_is_refused_and_nothing_is_written(study, researcher, world):
    other = observation_guide(study, researcher)
    session = world.sessions[0]
    before = list(session.checklist_ticks.values_list("question_id", "answer"))
    ticks = [
        services.TickInput(question_id=world.asked_for_deviations.pk, answer="no"),
        services.TickInput(question_id=other.questions[0].pk, answer="yes"),
    ]
    with pytest.raises(ValidationError, match="does not belong"):
        services.checklist_save(session=session, actor=researcher, ticks=ticks)
    assert list(session.checklist_ticks.values_list("question_id", "answer")) == before


def test_a_point_of_another_studys_guide_is_refused(study, researcher, world):
    other_study = StudyFactory()
    other = observation_guide(other_study, other_study.created_by)
    other_session = weekly_meetings(other_study, other.version, 1)[0]
    with pytest.raises(ValidationError):
        services.checklist_save(
            session=other_session,
            actor=researcher,
            ticks=[services.TickInput(question_id=world.asked_for_deviations.pk, answer="yes")],
        )
    assert not other_session.checklist_ticks.exists()


def test_an_unknown_answer_is_refused(researcher, world):
    session = world.sessions[0]
    with pytest.raises(ValidationError, match="yes, no or not applicable"):
        services.checklist_save(
            session=session,
            actor=researcher,
            ticks=[services.TickInput(question_id=world.asked_for_deviations.pk, answer="maybe")],
        )


def test_a_meeting_without_an_observation_guide_has_no_checklist(study, researcher):
    interview_guide = instrument_create(study=study, actor=researcher, title="Intervjuguide")
    session = SessionFactory(study=study, kind="observation", guide_version=interview_guide.versions.get())
    assert services.checklist_points(session) == []
    with pytest.raises(ValidationError, match="observation guide"):
        services.checklist_save(session=session, actor=researcher, ticks=[])


def test_the_model_refuses_a_tick_for_another_guide(study, researcher, world):
    other = observation_guide(study, researcher)
    tick = ChecklistTick(session=world.sessions[0], question=other.questions[0], answer="yes")
    with pytest.raises(ValidationError):
        tick.full_clean()


def test_other_attendees_are_roles_and_need_one(study, researcher):
    session = SessionFactory(study=study, kind="observation")
    attendee = services.other_attendee_add(session=session, actor=researcher, kind="other", role=" Prosessveileder ")
    assert attendee.role == "Prosessveileder"
    with pytest.raises(ValidationError):
        services.other_attendee_add(session=session, actor=researcher, kind="other", role="  ")
    with pytest.raises(ValidationError):
        services.other_attendee_add(session=session, actor=researcher, kind="other", role="Gjester", count=0)
    assert OtherAttendee.objects.filter(session=session).count() == 1
    services.other_attendee_remove(attendee=attendee, actor=researcher)
    assert not OtherAttendee.objects.exists()
    assert AuditEvent.objects.filter(action="other_attendee.removed").exists()


def test_the_agenda_is_checked_by_content(study, researcher, media_root):
    session = SessionFactory(study=study, kind="observation")
    services.session_agenda_attach(session=session, actor=researcher, upload=pdf_upload("agenda.pdf"))
    session.refresh_from_db()
    assert session.agenda.content_type == "application/pdf"
    fake = SimpleUploadedFile("agenda.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    with pytest.raises(ValidationError, match="checked by its content"):
        services.session_agenda_attach(session=session, actor=researcher, upload=fake)
    assert StoredFile.objects.count() == 1
    assert len(files_under(media_root)) == 1
    with pytest.raises(ValidationError, match="paste its text"):
        services.session_agenda_attach(session=session, actor=researcher, text="  ")
    source = services.session_agenda_attach(
        session=session, actor=researcher, text="Som tidlegare avtalt vil vi ta ein grundig gjennomgang av avvik"
    )
    assert (source.kind, source.session, source.title) == (Source.Kind.DOCUMENT, session, f"Saksliste {session.code}")


def test_typed_notes_become_a_codable_field_notes_source(study, researcher, co_researcher):
    study.language = "en"
    study.save()
    session = SessionFactory(study=study, kind="observation")
    services.observation_note_add(
        session=session, actor=researcher, observer=researcher, note_type="reflection", text="Jeg ble usikker."
    )
    services.observation_note_add(
        session=session, actor=researcher, observer=researcher, note_type="said", text="«Det har hjulpet.»"
    )
    services.observation_note_add(
        session=session, actor=co_researcher, observer=co_researcher, note_type="non_verbal", text="Lener seg fram."
    )
    source = services.observation_notes_to_source(session=session, actor=researcher, observer=researcher)
    assert source.kind == Source.Kind.FIELD_NOTES and source.observer == researcher and source.session == session
    assert source.text == "What was said\n«Det har hjulpet.»\n\nResearcher's reflection\nJeg ble usikker."
    again = services.observation_notes_to_source(session=session, actor=researcher, observer=researcher)
    assert again == source and Source.objects.filter(kind=Source.Kind.FIELD_NOTES).count() == 1


def test_notes_need_an_observer_of_the_study(study, researcher):
    session = SessionFactory(study=study, kind="observation")
    with pytest.raises(ValidationError):
        services.observation_note_add(
            session=session, actor=researcher, observer=UserFactory(), note_type="said", text="Hei"
        )
    with pytest.raises(ValidationError):
        services.observation_note_add(session=session, actor=researcher, observer=researcher, note_type="x", text="Hei")
    with pytest.raises(ValidationError, match="no notes"):
        services.observation_notes_to_source(session=session, actor=researcher, observer=researcher)
    assert not ObservationNote.objects.exists()


def test_two_observers_a_reconciled_version_and_a_disagreement(study, researcher, co_researcher):
    session = SessionFactory(study=study, kind="observation")
    first = _notes(session, researcher, researcher, "EL1 lente seg fram og snakket ivrig.")
    second = _notes(session, co_researcher, co_researcher, "EL1 virket oppgitt.")
    with pytest.raises(ValidationError):
        services.reconciled_notes_create(
            session=SessionFactory(study=study), actor=researcher, title="Avstemt", text="x"
        )
    reconciled = services.reconciled_notes_create(
        session=session, actor=researcher, title="Avstemte feltnotater", text="EL1 snakket ivrig om avvik."
    )
    assert reconciled.kind == Source.Kind.RECONCILED_NOTES
    disagreement = services.disagreement_record(
        session=session,
        actor=researcher,
        topic="EL1s engasjement",
        first_source=first,
        first_view="Ivrig",
        second_source=second,
        second_view="Oppgitt",
    )
    services.disagreement_resolve(
        disagreement=disagreement, actor=researcher, resolution="Ivrig om avvik, oppgitt om tid."
    )
    disagreement.refresh_from_db()
    assert disagreement.resolution.startswith("Ivrig")
    side = field_notes_side_by_side(session)
    assert side.observer_notes == [first, second] and side.reconciled == [reconciled]
    assert side.disagreements == [disagreement]
    with pytest.raises(ValidationError):
        services.disagreement_resolve(disagreement=disagreement, actor=researcher, resolution=" ")


def test_a_disagreement_over_another_sessions_notes_is_refused(study, researcher, co_researcher):
    session = SessionFactory(study=study, kind="observation")
    other_session = SessionFactory(study=study, kind="observation")
    first = _notes(session, researcher, researcher, "A")
    foreign = _notes(other_session, co_researcher, co_researcher, "B")
    transcript = source_create(
        study=study,
        actor=researcher,
        imported=ImportedText(text="I1: hei", format="paste"),
        title="Transkripsjon",
        session=session,
    )
    for second in (foreign, transcript, first):
        with pytest.raises(ValidationError):
            services.disagreement_record(
                session=session,
                actor=researcher,
                topic="Uenighet",
                first_source=first,
                first_view="a",
                second_source=second,
                second_view="b",
            )
    assert not FieldNoteDisagreement.objects.exists()
    assert not AuditEvent.objects.filter(action="disagreement.recorded").exists()


def test_counts_need_few_queries_however_many_meetings(study, researcher, django_assert_num_queries):
    world = build_observation_world(study, researcher, meetings=3)
    with django_assert_num_queries(3):
        small = checklist_counts(study)
    weekly_meetings(study, world.guide.version, 9, first_code=20)
    with django_assert_num_queries(3):
        large = checklist_counts(study)
    assert (small[0].meetings, large[0].meetings) == (3, 12)
    assert Instrument.objects.filter(study=study).count() == 1


def test_the_chapter_gets_the_counts_in_the_studys_language(study, world):
    (guide,) = checklist_counts(study, language=study.language)
    row = next(point for point in guide.points if point.question_id == world.asked_for_deviations.pk)
    assert row.phrase == "i alle møter bortsett fra ett"
    english = next(p for p in checklist_counts(study)[0].points if p.question_id == world.asked_for_deviations.pk)
    assert english.phrase == "in all meetings but one"


def test_counts_read_in_bokmal():
    from django.utils import translation

    with translation.override("nb"):
        assert meetings_phrase(11, 12) == "i alle møter bortsett fra ett"
        assert meetings_phrase(7, 12) == "i 7 av 12 møter"


def test_a_role_with_a_name_from_the_key_list_is_refused(study, researcher):
    informant = InformantFactory(study=study, code="EL1")
    IdentityRecordFactory(informant=informant, full_name="Kari Hemmelig")
    session = SessionFactory(study=study, kind="observation")
    with pytest.raises(ValidationError, match="role only"):
        services.other_attendee_add(session=session, actor=researcher, kind="other", role="Hemmelig, kjøkkenleder")
    assert not OtherAttendee.objects.exists()
    services.other_attendee_add(session=session, actor=researcher, kind="other", role="Kjøkkenleder")
    assert OtherAttendee.objects.count() == 1


def test_a_withdrawal_removes_their_quotes_from_observation_texts(study, django_capture_on_commit_callbacks):
    import datetime as dt

    from cases.models import Study
    from cases.services.withdrawal import REDACTED, informant_withdraw
    from tests.cases.withdrawal_world import TV5_WORDS, build

    w = build(study, action=Study.WithdrawalAction.DELETE)
    quote = TV5_WORDS[0]
    actor = study.created_by
    guide = observation_guide(study, actor)
    meeting = weekly_meetings(study, guide.version, 1, first_code=90)[0]
    note = services.observation_note_add(
        session=meeting, actor=actor, observer=actor, note_type="said", text=f"TV5 sa: «{quote}»"
    )
    services.checklist_save(
        session=meeting,
        actor=actor,
        ticks=[services.TickInput(question_id=guide.questions[0].pk, answer="yes", note=quote)],
    )
    first = _notes(meeting, actor, actor, "Notat A")
    second = _notes(meeting, actor, actor, "Notat B")
    disagreement = services.disagreement_record(
        session=meeting,
        actor=actor,
        topic="Sitat",
        first_source=first,
        first_view=quote,
        second_source=second,
        second_view="Annet",
        resolution=f"Vi beholder «{quote}»",
    )
    with django_capture_on_commit_callbacks(execute=True):
        tombstone = informant_withdraw(informant=w.tv5, actor=actor, withdrawn_on=dt.date(2017, 3, 1))
    note.refresh_from_db()
    disagreement.refresh_from_db()
    assert note.text == f"TV5 sa: «{REDACTED}»"
    assert meeting.checklist_ticks.get().note == REDACTED
    assert (disagreement.first_view, disagreement.resolution) == (REDACTED, f"Vi beholder «{REDACTED}»")
    assert tombstone.counts["observation_texts_redacted"] == 3


def test_the_notes_source_is_written_in_the_studys_language(study, researcher):
    study.language = "nb"
    study.save()
    session = SessionFactory(study=study, kind="observation", code="OBS01")
    services.observation_note_add(
        session=session, actor=researcher, observer=researcher, note_type="done", text="Deler ut"
    )
    source = services.observation_notes_to_source(session=session, actor=researcher, observer=researcher)
    assert source.text == "Hva som ble gjort\nDeler ut"
    assert source.title.startswith("OBS01 feltnotater")


def test_being_observed_needs_consent_that_covers_observation(study, researcher):
    from cases.models import Study
    from interviews.services.fieldwork import attendance_set
    from tests.factories import ConsentRecordFactory

    meeting = SessionFactory(study=study, kind="observation")
    interview = SessionFactory(study=study)
    informant = InformantFactory(study=study, code="EL1")
    ConsentRecordFactory(informant=informant, covers_observation=False)
    _row, warning = attendance_set(session=meeting, informant=informant, actor=researcher, status="came")
    assert warning == "EL1's consent does not cover observation."
    assert attendance_set(session=interview, informant=informant, actor=researcher, status="came")[1] is None
    Study.objects.filter(pk=study.pk).update(consent_gate=Study.Gate.BLOCK)
    meeting.refresh_from_db()
    meeting.study.refresh_from_db()
    other = InformantFactory(study=study, code="EL2")
    ConsentRecordFactory(informant=other, covers_observation=False)
    with pytest.raises(ValidationError, match="does not cover observation"):
        attendance_set(session=meeting, informant=other, actor=researcher, status="came")
    assert not meeting.attendances.filter(informant=other).exists()
    covered = InformantFactory(study=study, code="EL3")
    ConsentRecordFactory(informant=covered, covers_observation=True)
    assert attendance_set(session=meeting, informant=covered, actor=researcher, status="came")[1] is None
