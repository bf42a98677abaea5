"""Study-002's weekly leader meetings: the checklist ticked in a browser, read back as "in all meetings but one",
then two observers' notes of one meeting compared side by side and a disagreement recorded."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from cases.models import Membership
from interviews.importers import ImportedText
from interviews.models import ChecklistTick, FieldNoteDisagreement, Source
from interviews.services.sources import source_create
from tests.e2e.helpers import log_in
from tests.factories import StudyFactory, UserFactory
from tests.interviews.observation_world import observation_guide, weekly_meetings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_checklist_over_meetings_then_side_by_side_disagreement(page):
    student = UserFactory(email="student@uni.no", full_name="Siri Student", password="Lang-passord-2026")
    colleague = UserFactory(email="kollega@uni.no", full_name="Kari Kollega")
    study = StudyFactory(created_by=student, title="Ledere trenger praksisfellesskap")
    Membership.objects.get_or_create(study=study, user=student, defaults={"role": Membership.Role.OWNER})
    Membership.objects.create(study=study, user=colleague, role=Membership.Role.CO_RESEARCHER)
    guide = observation_guide(study, student)
    meetings = weekly_meetings(study, guide.version, 4)
    deviations = next(q for q in guide.questions if q.text == "Blir forbedringsarbeid etterspurt?")

    log_in(page, "student@uni.no")
    for index, meeting in enumerate(meetings):
        page.goto(reverse("observation_checklist", args=[study.pk, meeting.pk]))
        page.check(f"#answer-{deviations.pk}-{'no' if index == 2 else 'yes'}")
        if index == 2:
            page.fill(f"input[name='note-{deviations.pk}']", "Lederen var på kurs.")
        page.get_by_role("button", name="Save checklist").click()
        page.wait_for_selector(".alert-success")
        assert page.is_checked(f"#answer-{deviations.pk}-{'no' if index == 2 else 'yes'}")
    assert ChecklistTick.objects.filter(question=deviations).count() == 4
    _shot(page, "observation-checklist")

    page.goto(reverse("observation_counts", args=[study.pk]))
    row = page.locator(f"tr[data-point='{deviations.pk}']")
    assert row.locator(".phrase").inner_text() == "in all meetings but one"
    assert "4 meetings" in page.inner_text("h2")
    _shot(page, "observation-counts")

    meeting = meetings[0]
    for observer, text in [(student, "EL1 lente seg fram og snakket ivrig."), (colleague, "EL1 virket oppgitt.")]:
        source_create(
            study=study,
            actor=observer,
            imported=ImportedText(text=text, format=Source.Format.PASTED),
            title=f"Feltnotater {observer.display_name}",
            kind=Source.Kind.FIELD_NOTES,
            session=meeting,
            observer=observer,
        )
    page.goto(reverse("field_notes_compare", args=[study.pk, meeting.pk]))
    columns = page.locator(".side-by-side [data-source]")
    assert columns.count() == 2
    assert "snakket ivrig" in columns.nth(0).inner_text() and "oppgitt" in columns.nth(1).inner_text()
    page.fill("#id_topic", "EL1s engasjement")
    page.fill("#id_first_view", "Ivrig")
    page.fill("#id_second_view", "Oppgitt")
    page.get_by_role("button", name="Record disagreement").click()
    page.wait_for_selector(".disagreement-table")
    page.fill(".disagreement-table textarea[name='resolution']", "Ivrig om avvik, oppgitt om tidsbruk.")
    page.locator(".disagreement-table").get_by_role("button", name="Save").click()
    page.wait_for_selector(".alert-success")
    assert "oppgitt om tidsbruk" in page.inner_text(".disagreement-table")
    _shot(page, "observation-side-by-side")
    disagreement = FieldNoteDisagreement.objects.get()
    assert (disagreement.first_view, disagreement.second_view) == ("Ivrig", "Oppgitt")
