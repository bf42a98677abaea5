"""The demo study that ``make run`` loads: built through the services, idempotent, free of real names."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases.demo.builder import DATA_FILE, DEMO_PASSWORD, FICTIONAL_NAMES, demo_title
from cases.models import (
    Approval,
    AuditEvent,
    GuideQuestion,
    IdentityRecord,
    Informant,
    InstrumentVersion,
    Membership,
    Site,
    Study,
    User,
)
from cases.selectors import informants_without_consent, study_overview
from interviews.models import Attendance, Excerpt, Recording, Session

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "domain"


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> Study:
    load_demo()
    return Study.objects.get(title=demo_title())


def overview_problems(study: Study) -> list[str]:
    return [problem for check in study_overview(study) for problem in check.problems]


def test_the_demo_data_ships_with_the_repository():
    shipped = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert shipped["study"]["id"] == "study-003"
    assert (FIXTURES / "study-003.json").read_bytes() == DATA_FILE.read_bytes()
    assert sorted(p.name for p in FIXTURES.glob("study-*.json")) == [f"study-00{n}.json" for n in range(4)]


def test_running_twice_leaves_one_demo_study(db):
    first = load_demo()
    second = load_demo()

    study = Study.objects.get(title=demo_title())
    assert Study.objects.count() == 1
    assert "already present" in second and "already present" not in first
    assert DEMO_PASSWORD in first and DEMO_PASSWORD in second
    assert study.informants.count() == 10
    assert User.objects.filter(email__endswith="@demo.no").count() == 4


def test_reset_rebuilds_the_study_from_scratch(demo):
    Informant.objects.filter(study=demo, code="AG1").update(notes="changed by hand")

    load_demo("--reset")

    rebuilt = Study.objects.get(title=demo_title())
    assert Study.objects.count() == 1
    assert rebuilt.pk != demo.pk
    assert rebuilt.informants.get(code="AG1").notes == ""
    assert AuditEvent.objects.filter(action="demo.study_deleted", study__isnull=True).count() == 1


def test_nine_informants_consented_and_the_overview_flags_the_tenth(demo):
    given = [i.code for i in demo.informants.all() if i.consents.filter(given_on__isnull=False).exists()]

    assert len(given) == 9
    assert list(informants_without_consent(demo).values_list("code", flat=True)) == ["TV5"]
    problems = overview_problems(demo)
    assert "1 informant without consent" in problems
    assert "10 recording deletions overdue" not in problems  # the planned TV5 interview has no recording
    assert "9 recording deletions overdue" in problems


def test_the_study_plan_follows_the_thesis(demo):
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert demo.problem_statement == data["study"]["problemstilling"]
    assert demo.year == 2017 and demo.language == "nb"
    assert str(demo.end_date) == "2017-05-01" and str(demo.start_date) == "2016-09-01"
    assert demo.withdrawal_action == Study.WithdrawalAction.ANONYMISE
    assert demo.key_list_access == Study.KeyListAccess.RESEARCHERS_AND_SUPERVISOR
    rqs = list(demo.research_questions.all())
    assert [rq.label for rq in rqs] == ["RQ1", "RQ2", "RQ3", "RQ4", "RQ5"]
    assert len({rq.colour for rq in rqs}) == 5
    roles = dict(demo.memberships.values_list("user__email", "role"))
    assert roles == {
        "student@demo.no": Membership.Role.OWNER,
        "veileder@demo.no": Membership.Role.SUPERVISOR,
        "medstudent@demo.no": Membership.Role.CO_RESEARCHER,
    }


def test_approvals_record_sikt_project_50900_with_its_conditions(demo):
    sikt = demo.approvals.get(kind=Approval.Kind.SIKT)
    assert sikt.project_number == "50900" and sikt.state == Approval.State.APPROVED
    assert (str(sikt.submitted_on), str(sikt.answered_on), str(sikt.valid_until)) == (
        "2016-11-02",
        "2016-12-05",
        "2017-05-01",
    )
    assert sikt.conditions.count() == 11
    assert 0 < sikt.conditions.filter(is_met=True).count() < 11
    assert not any("(l." in c.text for c in sikt.conditions.all())
    assert demo.approvals.get(kind=Approval.Kind.ORGANISATION).state == Approval.State.APPROVED


def test_paired_design_one_employer_and_one_union_rep_per_site(demo):
    included = demo.sites.filter(status=Site.Status.INCLUDED)
    assert sorted(included.values_list("pseudonym", flat=True)) == [f"Kommune {letter}" for letter in "ABCDE"]
    assert list(demo.sites.filter(is_own_organisation=True).values_list("pseudonym", flat=True)) == ["Kommune A"]
    for site in included:
        assert sorted(site.informants.values_list("group__label", flat=True)) == ["Arbeidsgiver", "Tillitsvalgt"]
    assert set(demo.informants.values_list("status", flat=True)) == {Informant.Status.RECRUITED}
    assert demo.informants.get(code="TV5").attribute_values.get(definition__name="Fagforbund").value_text == "Annet"
    assert demo.informants.get(code="AG1").relationship == Informant.Relationship.COLLEAGUE


def test_no_real_names_reach_the_database(demo):
    """Municipalities and people appear only as pseudonyms and obviously fictional key-list entries."""
    real_places = re.compile(r"\b(Gol|Hemsedal|Hol|Ål|Nes|Flå|Hallingdal)\b")
    texts = [
        *(f"{s.pseudonym} {s.description} {s.dropped_reason}" for s in demo.sites.all()),
        *(f"{i.role} {i.recruitment_channel} {i.notes}" for i in demo.informants.all()),
        *(f"{s.title} {s.place} {s.reflexive_memo}" for s in demo.sessions.all()),
        *(f"{r.full_name} {r.email} {r.organisation}" for r in IdentityRecord.objects.filter(informant__study=demo)),
        *(f"{q.text}" for q in GuideQuestion.objects.filter(theme__version__instrument__study=demo)),
        demo.design,
        demo.theory_framework,
    ]
    assert [text for text in texts if real_places.search(text)] == []
    assert not User.objects.filter(full_name__icontains="Strømsvåg").exists()
    names = set(IdentityRecord.objects.filter(informant__study=demo).values_list("full_name", flat=True))
    assert names == set(FICTIONAL_NAMES)
    # The invented names never occur in what the demo quotes, so the re-identification check stays quiet on them.
    quoted = " ".join(Excerpt.objects.filter(study=demo).values_list("text", flat=True))
    parts = [part for name in FICTIONAL_NAMES for part in name.split()]
    assert [part for part in parts if re.search(rf"(?<!\w){part}(?!\w)", quoted, re.IGNORECASE)] == []


def test_interview_guide_has_two_versions_and_questions_linked_to_every_rq(demo):
    versions = InstrumentVersion.objects.filter(instrument__study=demo, instrument__title="Intervjuguide")
    assert sorted(versions.values_list("audience", flat=True)) == ["informants", "researcher"]
    full = versions.get(label="full")
    assert list(full.themes.values_list("title", flat=True)) == ["1. Innledning", "2. Erfaringer", "3. Kjernespørsmål"]
    questions = GuideQuestion.objects.filter(theme__version=full).select_related("research_question")
    assert questions.count() == 28
    linked = {q.research_question.label for q in questions if q.research_question}
    assert linked == {"RQ1", "RQ2", "RQ3", "RQ4", "RQ5"}
    suggestion_box = questions.get(text__startswith="Oppmuntrer arbeidsgiverne")
    assert suggestion_box.research_question.label == "RQ3"
    assert list(suggestion_box.prompts.values_list("text", flat=True))[-1] == "Forslagskasse?"
    short = versions.get(audience="informants")
    assert GuideQuestion.objects.filter(theme__version=short).count() == 28


def test_sessions_nine_held_by_month_one_planned(demo):
    sessions = Session.objects.filter(study=demo)
    held = sessions.filter(status=Session.Status.HELD)
    assert held.count() == 9
    assert {s.date_display for s in held} == {"2017-01", "2017-02"}
    assert set(held.values_list("place", "mode", "moderator__email")) == {
        ("informantens arbeidsplass", Session.Mode.ON_SITE, "student@demo.no")
    }
    planned = sessions.get(status=Session.Status.PLANNED)
    assert planned.attendances.get().informant.code == "TV5"
    assert planned.attendances.get().status == Attendance.Status.INVITED
    assert Attendance.objects.filter(session__in=held, status=Attendance.Status.CAME).count() == 9
    assert sessions.exclude(reflexive_memo="").count() == 1
    recordings = Recording.objects.filter(session__study=demo)
    assert set(recordings.values_list("device", "storage_location", "encrypted")) == {("iPhone", "minnebrikke", False)}
    assert recordings.count() == 9


def test_every_domain_row_was_written_through_an_audited_service(demo):
    actions = AuditEvent.objects.filter(study=demo).values_list("action", flat=True)
    for action, count in {
        "study.created": 1,
        "informant.created": 10,
        "identity.created": 10,
        "consent.recorded": 9,
        "session.created": 10,
        "attendance.set": 10,
        "recording.created": 9,
        "approval.created": 2,
        "site.created": 6,
    }.items():
        assert list(actions).count(action) == count, action


@pytest.mark.parametrize("email", ["student@demo.no", "veileder@demo.no", "medstudent@demo.no"])
def test_demo_users_log_in_and_see_the_study(demo, client, email):
    response = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]

    page = client.get(f"/studies/{demo.pk}/")

    assert page.status_code == 200
    assert demo.title in page.content.decode()


def test_a_second_run_resets_a_changed_demo_password(demo, client):
    user = User.objects.get(email="veileder@demo.no")
    user.set_password("something-else-1")
    user.save()

    load_demo()

    assert client.post(reverse("login"), {"username": "veileder@demo.no", "password": DEMO_PASSWORD}).status_code == 302


def test_the_admin_user_reaches_the_django_admin(demo, client):
    assert client.post(reverse("login"), {"username": "admin@demo.no", "password": DEMO_PASSWORD}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_demo_has_a_chapter_four_by_research_question_with_employers_first(demo):
    from cases.chapters.document import build_document

    chapter = demo.chapters.get()
    document = build_document(chapter, for_print=True)
    titles = [section.section.title for section in document.sections]
    assert titles == list(demo.research_questions.order_by("position", "pk").values_list("text", flat=True))
    assert [section.number for section in document.sections] == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    for section in document.sections:
        labels = [quote.attribution for quote in section.quotes if quote.printed]
        assert labels, section.number
        assert set(labels) <= {"(Arbeidsgiver)", "(Tillitsvalgt)"}, set(labels)
        # Employers' quotes first, then the union representatives'.
        assert labels == sorted(labels, key=lambda label: label != "(Arbeidsgiver)")
