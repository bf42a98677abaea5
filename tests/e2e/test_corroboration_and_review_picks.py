"""Link a corroborating excerpt through the search box, undo it with Ctrl+Z, and submit ticked excerpts for review."""

import pytest
from django.urls import reverse

from cases.models import Membership
from interviews.models import Excerpt, ReviewBatch
from tests.e2e.helpers import log_in
from tests.factories import InformantFactory, StudyFactory, UserFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "Moderator: Hvordan blir forslagene fulgt opp?\n"
    "AG1: Lederne tar forslagene opp på møtene.\n"
    "TV1: Forslagene blir liggende i en skuff.\n"
)


def wait_until(tab, condition, what: str) -> None:
    for _ in range(50):
        if condition():
            return
        tab.wait_for_timeout(100)
    raise AssertionError(f"Timed out waiting until {what}")


def test_corroboration_search_undo_and_review_of_ticked_excerpts(page):
    student = UserFactory(email="student@uni.no", full_name="Stina Student", password="Lang-passord-2026")
    study = StudyFactory(created_by=student)
    Membership.objects.get_or_create(study=study, user=student, defaults={"role": Membership.Role.OWNER})
    source = make_source(
        study,
        TEXT,
        informants={"AG1": InformantFactory(study=study, code="AG1"), "TV1": InformantFactory(study=study, code="TV1")},
    )
    code = make_code(study, "Oppfølging av forslag")
    first_line, second_line = TEXT.split("\n")[1], TEXT.split("\n")[2]
    leaders = make_excerpt(source, TEXT.index(first_line) + 5, TEXT.index(first_line) + len(first_line), code)
    drawer = make_excerpt(source, TEXT.index(second_line) + 5, TEXT.index(second_line) + len(second_line), code)

    log_in(page, "student@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    page.locator(f'#excerpt-{leaders.pk} [data-action="detail"]').click()
    search = page.locator(f"#corroboration-q-{leaders.pk}")
    search.wait_for()
    search.fill("skuff")
    result = page.locator(f'#corroboration-results-{leaders.pk} input[value="{drawer.pk}"]')
    result.wait_for()
    result.check()
    search.press("Enter")  # searches, does not submit the details
    assert not Excerpt.objects.get(pk=leaders.pk).corroborates.exists()
    page.locator("#excerpt-panel").get_by_role("button", name="Save", exact=True).click()
    wait_until(page, lambda: Excerpt.objects.get(pk=leaders.pk).corroborates.exists(), "the link is saved")
    assert list(Excerpt.objects.get(pk=drawer.pk).corroborates.all()) == [Excerpt.objects.get(pk=leaders.pk)]

    page.locator("#coding-text").focus()
    page.keyboard.press("Control+z")
    wait_until(page, lambda: not Excerpt.objects.get(pk=leaders.pk).corroborates.exists(), "Ctrl+Z undoes the link")

    page.goto(reverse("retrieval", args=[study.pk]))
    page.locator(f"#pick-{drawer.pk}").check()
    page.fill("#review-picked-title", "Skuffen")
    page.locator("#review-picked").get_by_role("button").click()
    page.wait_for_load_state("domcontentloaded")
    batch = ReviewBatch.objects.get()
    assert batch.title == "Skuffen" and batch.state == ReviewBatch.State.SUBMITTED
    assert list(batch.items.values_list("excerpt_id", flat=True)) == [drawer.pk]
    assert page.locator(f"#item-{drawer.pk}").is_visible()
