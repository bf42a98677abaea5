"""Study-000's written evaluation typed in from the eight paper forms, keyboard only, then read on the results page.

Thesis figures (Vedlegg 9): 8 respondents of 8 participants; mean usefulness
7.5 for session 1, 7.3 for session 2, 8.3 overall (one blank); all eight would
recommend the method.
"""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from cases.models import Membership, QuestionnaireAnswer, QuestionnaireResponse
from tests.cases import evaluation_world
from tests.e2e.helpers import log_in
from tests.factories import StudyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _choice(page, options: list[str], answer: str) -> None:
    """On a choice: type the option's number (nothing for no answer), then Tab on."""
    if answer:
        page.keyboard.press(str(options.index(answer) + 1))
    page.keyboard.press("Tab")


def _text(page, value: str) -> None:
    if value:
        page.keyboard.type(value)
    page.keyboard.press("Tab")


def _type_form(page, form: dict) -> None:
    """One paper form, field after field, in the order the items are printed."""
    _choice(page, evaluation_world.ROLE, form["role"])
    _text(page, form["s1"])
    _text(page, form["s2"])
    _text(page, form["total"])
    _text(page, form["higher"])
    for reason in evaluation_world.REASONS:
        _text(page, str(form["rank"].get(reason, "")))
    _choice(page, evaluation_world.YES_NO_DONT_KNOW, form["improved"])
    _text(page, form.get("improved_comment", ""))
    _choice(page, evaluation_world.YES_NO_DONT_KNOW, form["industries"])
    _choice(page, evaluation_world.YES_NO_PARTLY, form["recommend"])
    _text(page, form.get("recommend_comment", ""))
    if form.get("note"):
        page.keyboard.type(form["note"])
    page.keyboard.press("Control+Enter")


def test_study_000_evaluation_entered_by_keyboard_and_read_on_the_results_page(page):
    student = UserFactory(email="student@uni.no", full_name="Kari Student", password="Lang-passord-2026")
    study = StudyFactory(created_by=student, title="Kundeverksted i bedriftshelsetjenesten")
    Membership.objects.get_or_create(study=study, user=student, defaults={"role": Membership.Role.OWNER})
    world = evaluation_world.build_questionnaire(study)
    entry_url = reverse("questionnaire_entry", args=[study.pk, world.version.pk])

    log_in(page, "student@uni.no")
    page.goto(entry_url)
    role_first = world.items.role.options.first()
    assert page.evaluate("document.activeElement.id") == f"opt-{role_first.pk}"

    # A slip on the first form: 11 on a 1–10 scale. Nothing is written, the typing is kept, the cursor waits there.
    slip = dict(evaluation_world.FORMS[0], s1="11")
    _type_form(page, slip)
    page.wait_for_selector("#entry-errors")
    assert "11 is outside the scale: type a number from 1 to 10." in page.inner_text(f"#entry-item-{world.items.s1.pk}")
    assert QuestionnaireResponse.objects.count() == 0 and QuestionnaireAnswer.objects.count() == 0
    assert page.evaluate("document.activeElement.id") == f"field-{world.items.s1.pk}"
    assert page.input_value(f"#field-{world.items.s2.pk}") == "6"
    _shot(page, "entry-error")
    page.keyboard.type("5")  # the field's text is selected: typing replaces it
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert-success")
    assert "1 of 8 entered" in page.inner_text("#entered-count")

    for number, form in enumerate(evaluation_world.FORMS[1:], start=2):
        assert page.evaluate("document.activeElement.id") == f"opt-{role_first.pk}"
        _type_form(page, form)
        page.wait_for_function(
            "n => document.getElementById('entered-count').textContent.includes(n + ' of 8')", arg=number
        )
    _shot(page, "entry")
    assert QuestionnaireResponse.objects.count() == 8

    page.goto(reverse("questionnaire_results", args=[study.pk, world.version.pk]))
    assert "8 respondents of 8 participants" in page.inner_text("#respondents")
    items = world.items

    def stat(item, name):
        return page.inner_text(f"#result-{item.pk} [data-stat='{name}']")

    assert (stat(items.s1, "mean"), stat(items.s2, "mean"), stat(items.total, "mean")) == ("7.5", "7.3", "8.3")
    assert (stat(items.total, "n"), stat(items.total, "non-response")) == ("7", "1")
    recommend = f"#result-{items.recommend.pk}"
    assert page.inner_text(f"{recommend} tr[data-option='Ja'] [data-count]") == "8"
    assert page.inner_text(f"{recommend} tr[data-option='Nei'] [data-count]") == "0"
    assert page.locator(f"#result-{items.s1.pk} svg.result-chart rect").count() == 3  # 5, 8 and 9 were given
    rank_top = page.locator(f"#result-{items.rank.pk} .result-ranks tbody tr").first
    assert rank_top.get_attribute("data-option") == evaluation_world.REASONS[0]
    assert "Krysset av tre punkter som nr. 1" in page.inner_text("#data-quality-notes")
    _shot(page, "results")
