"""Select a sentence with the mouse, code it, see the highlight, find it in retrieval by the speaker's group."""

import pytest
from django.urls import reverse

from cases.models import Membership
from interviews.models import Excerpt
from tests.e2e.helpers import log_in, select_with_mouse
from tests.factories import InformantFactory, InformantGroupFactory, StudyFactory, UserFactory
from tests.interviews.coding_helpers import make_code, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "Moderator: Hvordan blir forslagene fulgt opp?\n"
    "AG1: Vi har ingen egen idékasse, men lederne tar det opp på møtene.\n"
    "TV1: Forslagene blir liggende. Ingen sier hvorfor de ble avvist.\n"
)
SENTENCE = "Ingen sier hvorfor de ble avvist."


def test_code_a_sentence_and_retrieve_it_by_group(page):
    student = UserFactory(email="student@uni.no", full_name="Stina Student", password="Lang-passord-2026")
    study = StudyFactory(created_by=student)
    Membership.objects.get_or_create(study=study, user=student, defaults={"role": Membership.Role.OWNER})
    employers = InformantGroupFactory(study=study, label="Arbeidsgiver")
    union = InformantGroupFactory(study=study, label="Tillitsvalgt")
    source = make_source(
        study,
        TEXT,
        informants={
            "AG1": InformantFactory(study=study, code="AG1", group=employers),
            "TV1": InformantFactory(study=study, code="TV1", group=union),
        },
    )
    code = make_code(study, "Oppfølging av forslag", colour="#e76f51")

    log_in(page, "student@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    start = TEXT.index(SENTENCE)
    select_with_mouse(page, start, start + len(SENTENCE))
    page.fill("#code-search", "oppfølg")
    page.locator(f'.code-option[data-code-id="{code.pk}"] input[type=checkbox]').check()
    page.locator("#apply-codes").click()
    page.wait_for_selector("#coding-text .hl")

    assert page.locator("#coding-text .hl").all_inner_texts() == [SENTENCE]
    excerpt = Excerpt.objects.get()
    assert (excerpt.start, excerpt.end, excerpt.text) == (start, start + len(SENTENCE), SENTENCE)
    assert [informant.code for informant in excerpt.speakers.all()] == ["TV1"]

    page.locator(".study-nav").get_by_role("link", name="Retrieval").click()
    page.select_option("#id_code", str(code.pk))
    page.select_option("#id_group", str(union.pk))
    page.locator("#main").get_by_role("button", name="Show excerpts").click()
    page.wait_for_load_state("domcontentloaded")
    row = page.locator(f'[data-excerpt-id="{excerpt.pk}"]')
    assert row.is_visible()
    assert SENTENCE in row.inner_text()

    page.select_option("#id_group", str(employers.pk))
    page.locator("#main").get_by_role("button", name="Show excerpts").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(f'[data-excerpt-id="{excerpt.pk}"]').count() == 0

    # "Show in context" jumps back to the excerpt in the coding view.
    page.select_option("#id_group", str(union.pk))
    page.locator("#main").get_by_role("button", name="Show excerpts").click()
    page.wait_for_load_state("domcontentloaded")
    page.locator(f'[data-excerpt-id="{excerpt.pk}"] a[href*="#excerpt-{excerpt.pk}"]').first.click()
    page.wait_for_selector(f"#excerpt-{excerpt.pk}")
    assert page.url.endswith(f"#excerpt-{excerpt.pk}")
