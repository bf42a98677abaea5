"""Fieldwork sessions: planning and recording, month-only dates, attendance with the consent gate, the Sikt gate,
recordings, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import AuditEvent, Informant, Membership, Study
from cases.services.instruments import instrument_create
from interviews.models import Attendance, Recording, Session
from tests.factories import (
    ApprovalFactory,
    AttendanceFactory,
    ConsentRecordFactory,
    InformantFactory,
    InformantGroupFactory,
    SessionFactory,
    SiteFactory,
    StudyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def session_data(**overrides) -> dict:
    data = {
        "code": "FG1",
        "title": "Fokusgruppe ledere",
        "kind": Session.Kind.FOCUS_GROUP,
        "status": Session.Status.PLANNED,
        "cancel_reason": "",
        "date": "2017-01-20",
        "month": "",
        "date_precision": Session.DatePrecision.DAY,
        "start_time": "09:30",
        "duration_minutes": "90",
        "place": "Møterom på rådhuset",
        "mode": Session.Mode.ON_SITE,
        "site": "",
        "moderator": "",
        "guide_version": "",
        "reflexive_memo": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def attendance_post(rows: list[tuple[Informant, str]], **extra) -> dict:
    """The attendance formset as the browser posts it; rows in the page's order (by code)."""
    data = {
        "attendance-TOTAL_FORMS": str(len(rows)),
        "attendance-INITIAL_FORMS": str(len(rows)),
        "attendance-MIN_NUM_FORMS": "0",
        "attendance-MAX_NUM_FORMS": "1000",
    }
    for index, (informant, status) in enumerate(rows):
        data[f"attendance-{index}-informant"] = str(informant.pk)
        data[f"attendance-{index}-status"] = status
        data[f"attendance-{index}-absence_reason"] = ""
        data[f"attendance-{index}-substitute_for"] = ""
    data.update(extra)
    return data


@pytest.fixture
def informants(study):
    group = InformantGroupFactory(study=study, label="Fokusgruppe 1")
    return [InformantFactory(study=study, code=code, group=group) for code in ("A1", "A2", "A3")]


def consent_for(*informants: Informant) -> None:
    for informant in informants:
        ConsentRecordFactory(informant=informant)


def test_create_session_with_everything(researcher_client, researcher, co_researcher, study):
    site = SiteFactory(study=study, pseudonym="Kommune A")
    version = instrument_create(study=study, actor=researcher, title="Intervjuguide").versions.get()
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]),
        session_data(
            site=site.pk,
            moderator=researcher.pk,
            observers=[co_researcher.pk],
            guide_version=version.pk,
            reflexive_memo="Jeg er leder for flere av deltakerne.",
        ),
    )
    session = Session.objects.get(study=study, code="FG1")
    assert response.status_code == 302 and response["Location"] == reverse(
        "session_detail", args=[study.pk, session.pk]
    )
    assert (session.kind, session.status, session.date, session.start_time) == (
        Session.Kind.FOCUS_GROUP,
        Session.Status.PLANNED,
        dt.date(2017, 1, 20),
        dt.time(9, 30),
    )
    assert (session.site, session.moderator, session.guide_version, session.duration_minutes) == (
        site,
        researcher,
        version,
        90,
    )
    assert list(session.observers.all()) == [co_researcher]
    assert AuditEvent.objects.filter(study=study, action="session.created", target_id=session.pk).exists()

    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    for text in (
        "FG1",
        "Kommune A",
        "Carl Co-researcher",
        "Intervjuguide (v1)",
        "Jeg er leder for flere av deltakerne.",
        "2017-01-20",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    "fields",
    [
        {"month": "2016-11", "date": ""},
        {"date": "2016-11-17", "date_precision": Session.DatePrecision.MONTH},
    ],
)
def test_month_only_date(researcher_client, study, fields):
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]), session_data(status=Session.Status.HELD, start_time="", **fields)
    )
    assert response.status_code == 302
    session = Session.objects.get(study=study)
    assert (session.date, session.date_precision) == (dt.date(2016, 11, 1), Session.DatePrecision.MONTH)
    assert session.date_display == "2016-11"
    listing = researcher_client.get(reverse("session_list", args=[study.pk])).content.decode()
    assert "2016-11" in listing and "2016-11-01" not in listing

    edit = researcher_client.get(reverse("session_edit", args=[study.pk, session.pk])).content.decode()
    assert 'type="month"' in edit and 'value="2016-11"' in edit


def test_bad_month_is_refused(researcher_client, study):
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]), session_data(month="November", date="")
    )
    assert response.status_code == 400
    assert "Enter the month as YYYY-MM" in response.content.decode()
    assert not Session.objects.exists()


def test_edit_session_and_switch_from_month_to_day(researcher_client, researcher, study):
    session = SessionFactory(
        study=study, code="S01", date=dt.date(2016, 11, 1), date_precision=Session.DatePrecision.MONTH
    )
    response = researcher_client.post(
        reverse("session_edit", args=[study.pk, session.pk]),
        session_data(
            code="S01",
            status=Session.Status.HELD,
            date="2016-11-23",
            month="",
            place="Kantina",
            mode=Session.Mode.VIDEO,
        ),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.date, session.date_precision, session.place, session.mode) == (
        dt.date(2016, 11, 23),
        Session.DatePrecision.DAY,
        "Kantina",
        Session.Mode.VIDEO,
    )
    event = AuditEvent.objects.get(study=study, action="session.updated")
    assert {"date", "date_precision", "place", "mode"} <= set(event.data["fields"])


def test_people_site_and_guide_are_limited_to_the_study(researcher_client, study):
    other = StudyFactory()
    stranger = UserFactory()
    foreign_version = instrument_create(study=other, actor=other.created_by, title="Fremmed guide").versions.get()
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]),
        session_data(
            moderator=stranger.pk,
            observers=[other.created_by.pk],
            site=SiteFactory(study=other).pk,
            guide_version=foreign_version.pk,
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"moderator", "observers", "site", "guide_version"}
    assert not Session.objects.exists()


def test_cancelled_without_reason_is_refused_and_writes_nothing(researcher_client, study):
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]), session_data(status=Session.Status.CANCELLED)
    )
    assert response.status_code == 400
    assert "Say why the session was cancelled." in response.content.decode()
    assert not Session.objects.exists() and not AuditEvent.objects.filter(action__startswith="session.").exists()

    session = SessionFactory(study=study, code="S01", status=Session.Status.PLANNED)
    response = researcher_client.post(
        reverse("session_edit", args=[study.pk, session.pk]), session_data(code="S01", status=Session.Status.CANCELLED)
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED

    researcher_client.post(
        reverse("session_edit", args=[study.pk, session.pk]),
        session_data(code="S01", status=Session.Status.CANCELLED, cancel_reason="Sykdom"),
    )
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == (Session.Status.CANCELLED, "Sykdom")
    assert "Sykdom" in researcher_client.get(reverse("session_list", args=[study.pk])).content.decode()


def test_duplicate_code_is_refused(researcher_client, study):
    SessionFactory(study=study, code="FG1")
    response = researcher_client.post(reverse("session_create", args=[study.pk]), session_data())
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Session.objects.count() == 1


def test_held_focus_group_with_attendance_of_three(researcher_client, study, informants):
    consent_for(*informants)
    researcher_client.post(reverse("session_create", args=[study.pk]), session_data(status=Session.Status.HELD))
    session = Session.objects.get(study=study)
    page = researcher_client.get(reverse("attendance_edit", args=[study.pk, session.pk])).content.decode()
    assert all(f'data-informant="{i.code}"' in page for i in informants)

    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post([(i, Attendance.Status.CAME) for i in informants]),
    )
    assert response.status_code == 302
    assert sorted(
        session.attendances.filter(status=Attendance.Status.CAME).values_list("informant__code", flat=True)
    ) == ["A1", "A2", "A3"]
    assert AuditEvent.objects.filter(study=study, action="attendance.set").count() == 3

    detail = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert all(f'data-informant="{i.code}"' in detail for i in informants)
    listing = researcher_client.get(reverse("session_list", args=[study.pk])).content.decode()
    assert "3 / 3" in listing

    # Saving the same table again writes nothing new.
    researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post([(i, Attendance.Status.CAME) for i in informants]),
    )
    assert AuditEvent.objects.filter(study=study, action="attendance.set").count() == 3


def test_absent_with_reason_substitute_and_uninvite(researcher_client, study, informants):
    consent_for(*informants)
    session = SessionFactory(study=study)
    first, second, third = informants
    researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post(
            [
                (first, Attendance.Status.ABSENT),
                (second, Attendance.Status.SUBSTITUTE),
                (third, Attendance.Status.INVITED),
            ],
            **{"attendance-0-absence_reason": "Syk", "attendance-1-substitute_for": str(first.pk)},
        ),
    )
    rows = {a.informant.code: a for a in session.attendances.select_related("informant")}
    assert (rows["A1"].status, rows["A1"].absence_reason) == (Attendance.Status.ABSENT, "Syk")
    assert (rows["A2"].status, rows["A2"].substitute_for) == (Attendance.Status.SUBSTITUTE, first)
    assert rows["A3"].status == Attendance.Status.INVITED

    researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post(
            [(first, Attendance.Status.ABSENT), (second, Attendance.Status.SUBSTITUTE), (third, "not_invited")],
            **{"attendance-0-absence_reason": "Syk", "attendance-1-substitute_for": str(first.pk)},
        ),
    )
    assert not session.attendances.filter(informant=third).exists()


def test_substitute_without_whom_is_refused(researcher_client, study, informants):
    consent_for(*informants)
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post(
            [
                (informants[0], Attendance.Status.CAME),
                (informants[1], Attendance.Status.SUBSTITUTE),
                (informants[2], "not_invited"),
            ]
        ),
    )
    assert response.status_code == 400
    assert "Say whom the substitute stood in for." in response.content.decode()
    assert not Attendance.objects.exists()


def test_consent_gate_block_refuses_the_whole_table(researcher_client, study, informants):
    Study.objects.filter(pk=study.pk).update(consent_gate=Study.Gate.BLOCK)
    consent_for(informants[0], informants[1])
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post([(i, Attendance.Status.CAME) for i in informants]),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A3 has no recorded consent." in page and "Nothing was saved." in page
    assert not Attendance.objects.exists()
    assert not AuditEvent.objects.filter(action="attendance.set").exists()

    # Invited is fine without consent; came is not.
    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post(
            [
                (informants[0], Attendance.Status.CAME),
                (informants[1], Attendance.Status.CAME),
                (informants[2], Attendance.Status.INVITED),
            ]
        ),
    )
    assert response.status_code == 302
    assert session.attendances.count() == 3


def test_consent_gate_warn_saves_and_warns(researcher_client, study, informants):
    assert study.consent_gate == Study.Gate.WARN
    consent_for(informants[0], informants[1])
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post([(i, Attendance.Status.CAME) for i in informants]),
        follow=True,
    )
    assert session.attendances.filter(status=Attendance.Status.CAME).count() == 3
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == ["Saved, but note: A3 has no recorded consent."]


def test_withdrawn_informant_is_refused_even_when_the_study_only_warns(researcher_client, study, informants):
    consent_for(*informants[:2])
    ConsentRecordFactory(informant=informants[2], withdrawn_on=dt.date(2017, 2, 1))
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("attendance_edit", args=[study.pk, session.pk]),
        attendance_post([(i, Attendance.Status.CAME) for i in informants]),
    )
    assert response.status_code == 400
    assert "A3 has withdrawn consent." in response.content.decode()
    assert not Attendance.objects.exists()


def test_sikt_gate(researcher_client, study):
    Study.objects.filter(pk=study.pk).update(require_sikt_before_fieldwork=True)
    response = researcher_client.post(
        reverse("session_create", args=[study.pk]), session_data(status=Session.Status.HELD)
    )
    assert response.status_code == 400
    assert "before Sikt has answered" in response.content.decode()
    assert not Session.objects.exists()

    researcher_client.post(reverse("session_create", args=[study.pk]), session_data(status=Session.Status.PLANNED))
    session = Session.objects.get(study=study)
    response = researcher_client.post(
        reverse("session_edit", args=[study.pk, session.pk]), session_data(status=Session.Status.HELD)
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED

    ApprovalFactory(study=study)
    response = researcher_client.post(
        reverse("session_edit", args=[study.pk, session.pk]), session_data(status=Session.Status.HELD)
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.HELD


def test_recording_metadata(researcher_client, study):
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("recording_create", args=[study.pk, session.pk]),
        {
            "device": "Diktafon Olympus",
            "storage_location": "Kryptert minnepinne i låst skap",
            "encrypted": "on",
            "duration_minutes": "74",
            "deletion_due": "2017-05-01",
            "deleted_on": "",
            "notes": "Kopiert til UiO-sone",
        },
    )
    assert response.status_code == 302
    recording = Recording.objects.get(session=session)
    assert (recording.device, recording.encrypted, recording.duration_minutes, recording.deletion_due) == (
        "Diktafon Olympus",
        True,
        74,
        dt.date(2017, 5, 1),
    )
    page = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk])).content.decode()
    assert "Kryptert minnepinne i låst skap" in page and "2017-05-01" in page

    researcher_client.post(
        reverse("recording_edit", args=[study.pk, recording.pk]),
        {
            "device": "Diktafon Olympus",
            "storage_location": "Slettet",
            "duration_minutes": "74",
            "deletion_due": "2017-05-01",
            "deleted_on": "2017-04-28",
            "notes": "",
        },
    )
    recording.refresh_from_db()
    assert (recording.deleted_on, recording.encrypted, recording.storage_location) == (
        dt.date(2017, 4, 28),
        False,
        "Slettet",
    )
    event = AuditEvent.objects.get(study=study, action="recording.updated")
    assert {"deleted_on", "encrypted", "storage_location", "notes"} == set(event.data["fields"])


def test_recording_with_bad_length_is_refused(researcher_client, study):
    session = SessionFactory(study=study)
    response = researcher_client.post(
        reverse("recording_create", args=[study.pk, session.pk]), {"duration_minutes": "-3"}
    )
    assert response.status_code == 400
    assert not Recording.objects.exists()


def test_filter_by_kind_and_status(researcher_client, study):
    SessionFactory(study=study, code="S01", kind=Session.Kind.INDIVIDUAL_INTERVIEW, status=Session.Status.HELD)
    SessionFactory(study=study, code="FG1", kind=Session.Kind.FOCUS_GROUP, status=Session.Status.PLANNED)
    SessionFactory(
        study=study, code="FG2", kind=Session.Kind.FOCUS_GROUP, status=Session.Status.CANCELLED, cancel_reason="Streik"
    )
    url = reverse("session_list", args=[study.pk])

    def codes(query: dict) -> list[str]:
        return [s.code for s in researcher_client.get(url, query).context["sessions"]]

    assert codes({}) == ["FG1", "FG2", "S01"]
    assert sorted(codes({"kind": Session.Kind.FOCUS_GROUP})) == ["FG1", "FG2"]
    assert codes({"kind": Session.Kind.FOCUS_GROUP, "status": Session.Status.CANCELLED}) == ["FG2"]
    assert codes({"status": Session.Status.HELD}) == ["S01"]
    assert (
        "No sessions match this filter" in researcher_client.get(url, {"kind": Session.Kind.WORKSHOP}).content.decode()
    )


def test_empty_list_says_what_to_do(researcher_client, supervisor_client, study):
    assert (
        "Plan your first interview or focus group"
        in researcher_client.get(reverse("session_list", args=[study.pk])).content.decode()
    )
    assert "Plan your first" not in supervisor_client.get(reverse("session_list", args=[study.pk])).content.decode()


@pytest.fixture
def fieldwork(study, informants):
    session = SessionFactory(study=study, code="S01")
    AttendanceFactory(session=session, informant=informants[0])
    recording = Recording.objects.create(session=session, device="iPhone")
    return session, recording


def my_urls(study, session, recording) -> dict[str, list[str]]:
    return {
        "read": [reverse("session_list", args=[study.pk]), reverse("session_detail", args=[study.pk, session.pk])],
        "edit": [
            reverse("session_create", args=[study.pk]),
            reverse("session_edit", args=[study.pk, session.pk]),
            reverse("attendance_edit", args=[study.pk, session.pk]),
            reverse("recording_create", args=[study.pk, session.pk]),
            reverse("recording_edit", args=[study.pk, recording.pk]),
        ],
    }


def state() -> tuple:
    return (
        list(Session.objects.values_list("code", "status", "place", "date").order_by("pk")),
        list(Attendance.objects.values_list("informant_id", "status").order_by("pk")),
        list(Recording.objects.values_list("device", "deleted_on").order_by("pk")),
        AuditEvent.objects.count(),
    )


def test_supervisor_reads_but_gets_403_on_every_edit_and_nothing_changes(
    supervisor_client, study, fieldwork, informants
):
    session, recording = fieldwork
    urls = my_urls(study, session, recording)
    before = state()
    payload = {
        **session_data(code="S01", status=Session.Status.CANCELLED, cancel_reason="x"),
        **attendance_post([(i, Attendance.Status.ABSENT) for i in informants]),
        "device": "Hacked",
    }
    for url in urls["edit"]:
        assert supervisor_client.get(url).status_code == 403, url
        assert supervisor_client.post(url, payload).status_code == 403, url
    assert state() == before
    for url in urls["read"]:
        response = supervisor_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert reverse("session_create", args=[study.pk]) not in html
        assert reverse("session_edit", args=[study.pk, session.pk]) not in html
        assert reverse("attendance_edit", args=[study.pk, session.pk]) not in html


def test_outsider_gets_404_on_every_url(outsider, outsider_client, study, fieldwork):
    session, recording = fieldwork
    urls = my_urls(study, session, recording)
    before = state()
    for url in urls["read"] + urls["edit"]:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, session_data()).status_code == 404, url
    # This study's objects under the outsider's own study id are 404 too.
    own = outsider.memberships.get(role=Membership.Role.OWNER).study
    for name, pk in (
        ("session_detail", session.pk),
        ("session_edit", session.pk),
        ("attendance_edit", session.pk),
        ("recording_create", session.pk),
        ("recording_edit", recording.pk),
    ):
        assert outsider_client.get(reverse(name, args=[own.pk, pk])).status_code == 404, name
    assert state() == before


@pytest.mark.parametrize("size", [1, 6])
def test_session_list_query_count_does_not_grow(researcher_client, study, django_assert_num_queries, size):
    site = SiteFactory(study=study)
    moderator = study.created_by
    for n in range(size):
        session = SessionFactory(study=study, code=f"S{n:02d}", site=site, moderator=moderator)
        for _ in range(3):
            AttendanceFactory(session=session)
    # session, user with membership and study, the sessions with site, moderator and attendance counts
    with django_assert_num_queries(3):
        response = researcher_client.get(reverse("session_list", args=[study.pk]))
    assert response.content.decode().count("data-session=") == size
    assert response.content.decode().count("3 / 3") == size


@pytest.mark.parametrize("size", [1, 5])
def test_session_detail_query_count_does_not_grow(researcher_client, study, django_assert_num_queries, size):
    session = SessionFactory(study=study, site=SiteFactory(study=study))
    for _ in range(size):
        AttendanceFactory(session=session)
        Recording.objects.create(session=session, device="iPhone")
    # session, user with membership and study, the session with its relations, observers, attendance, recordings,
    # the questionnaires answered inside interviews, the comment threads
    with django_assert_num_queries(8):
        response = researcher_client.get(reverse("session_detail", args=[study.pk, session.pk]))
    assert response.content.decode().count("data-recording=") == size
