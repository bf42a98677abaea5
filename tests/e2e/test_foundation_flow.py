"""A student's first hour, in headless Chromium: from log-in to an overview that flags missing consent."""

import re

import pytest
from django.urls import reverse

from cases.models import ConsentRecord, Informant, Study
from interviews.models import Attendance, Session
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page, label: str) -> None:
    page.locator("#main").get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state("domcontentloaded")


def test_student_sets_up_a_study_and_sees_what_is_missing(page, live_server):
    UserFactory(email="student@uni.no", full_name="Stina Student", password="Lang-passord-2026")

    page.goto(reverse("home"))
    page.fill("#id_username", "student@uni.no")
    page.fill("#id_password", "Lang-passord-2026")
    submit(page, "Log in")
    page.get_by_role("link", name="New study").first.click()

    page.fill("#id_title", "Kundesenteret som lærende organisasjon")
    page.fill("#id_problem_statement", "Hvordan lærer et kundesenter?")
    page.fill("#id_institution", "Nord universitet")
    page.select_option("#id_language", "nb")
    submit(page, "Create study")
    study = Study.objects.get()
    assert page.url.endswith(reverse("study_detail", args=[study.pk]))

    page.fill("#id_label", "RQ1")
    page.fill("#id_text", "Hvordan deler medarbeiderne kunnskap?")
    submit(page, "Add research question")
    assert page.locator("li", has_text="Hvordan deler medarbeiderne kunnskap?").is_visible()

    page.locator(".study-nav").get_by_role("link", name="Sites and groups").click()
    page.goto(reverse("site_create", args=[study.pk]))
    page.fill("#id_pseudonym", "Kundesenter A")
    submit(page, "Save")
    page.goto(reverse("group_create", args=[study.pk]))
    page.fill("#id_label", "Fokusgruppe 1")
    submit(page, "Save")
    assert page.get_by_text("Kundesenter A").first.is_visible()
    assert page.get_by_text("Fokusgruppe 1").first.is_visible()

    for code in ("K1", "K2", "K3"):
        page.goto(reverse("informant_create", args=[study.pk]))
        page.fill("#id_code", code)
        page.select_option("#id_group", label="Fokusgruppe 1")
        page.select_option("#id_site", label="Kundesenter A")
        page.fill("#id_role", "kunderådgiver")
        submit(page, "Save")
    page.locator(".study-nav").get_by_role("link", name="Informants").click()
    # The count below does not wait: the list must have loaded (its "load" event) before the rows are counted.
    page.wait_for_url(f"**{reverse('informant_list', args=[study.pk])}")
    for code in ("K1", "K2", "K3"):
        assert page.locator("td", has_text=re.compile(rf"^\s*{code}\s*$")).count() >= 1

    for code in ("K1", "K2"):
        informant = Informant.objects.get(code=code)
        page.goto(reverse("consent_record", args=[study.pk, informant.pk]))
        page.fill("#id_given_on", "2016-03-01")
        submit(page, "Save as a new version")
    assert ConsentRecord.objects.filter(given_on__isnull=False).count() == 2

    page.goto(reverse("session_create", args=[study.pk]))
    page.fill("#id_code", "FG1")
    page.select_option("#id_kind", "focus_group")
    page.select_option("#id_status", "held")
    page.fill("#id_date", "2016-03-15")
    page.fill("#id_duration_minutes", "90")
    submit(page, "Save")
    session = Session.objects.get(code="FG1")

    page.goto(reverse("attendance_edit", args=[study.pk, session.pk]))
    for code, status in (("K1", "came"), ("K2", "came"), ("K3", "absent")):
        page.locator(f'tr[data-informant="{code}"] select[name$="-status"]').select_option(status)
    page.locator('tr[data-informant="K3"] input[name$="-absence_reason"]').fill("syk")
    submit(page, "Save attendance")
    assert Attendance.objects.filter(session=session, status="came").count() == 2

    page.locator(".study-nav").get_by_role("link", name="Overview").click()
    consent_card = page.locator('[data-check="consent"]')
    assert "1 informant without consent" in consent_card.inner_text()
    page.screenshot(path="var/e2e-overview.png", full_page=True)
