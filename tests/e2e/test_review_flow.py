"""Review in the browser: submit ten excerpts, approve eight, request two changes, fix, resubmit, approve, audit.

The researcher's two fixes (moving one excerpt's boundaries, recoding the other)
go through the services directly: driving the coding view's mouse selection is
covered by tests/e2e/test_coding_to_retrieval.py.
"""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import ConsentRecord, Membership
from interviews.models import Excerpt, ReviewBatch, ReviewItem
from interviews.services import excerpts as excerpt_services
from tests.e2e.helpers import log_in
from tests.factories import InformantFactory, StudyFactory, UserFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = [f"I1: Forslag nummer {n} ble fulgt opp av lederen.\n" for n in range(10)]
TEXT = "Moderator: Hvordan blir forslagene fulgt opp?\n" + "".join(LINES)


def test_review_two_rounds_in_the_browser(page, browser, live_server):
    student = UserFactory(email="student@uni.no", full_name="Stina Student", password="Lang-passord-2026")
    mentor = UserFactory(email="veileder@uni.no", full_name="Vera Veileder", password="Lang-passord-2026")
    study = StudyFactory(created_by=student)
    Membership.objects.get_or_create(study=study, user=student, defaults={"role": Membership.Role.OWNER})
    Membership.objects.create(study=study, user=mentor, role=Membership.Role.SUPERVISOR)
    informant = InformantFactory(study=study, code="AG1")
    ConsentRecord.objects.create(informant=informant, given_on=dt.date(2026, 1, 5), recorded_by=student)
    source = make_source(study, TEXT, informants={"I1": informant})
    code = make_code(study, "Oppfølging av forslag", description="Hva som skjer med et forslag etterpå.")
    other_code = make_code(study, "Lederens rolle")
    excerpts = []
    for line in LINES:
        start = TEXT.index(line) + 4
        excerpt = make_excerpt(source, start, start + len(line) - 5, code)
        excerpt.speakers.set([informant])
        excerpts.append(excerpt)

    # The researcher puts the code's excerpts up for review and submits them.
    log_in(page, "student@uni.no")
    page.goto(reverse("review_list", args=[study.pk]))
    page.select_option("#id_code", str(code.pk))
    page.locator("#review-create").get_by_role("button", name="Create batch").click()
    page.wait_for_selector(".review-item")
    assert page.locator(".review-item").count() == 10
    page.locator("#main").get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#review-batches")
    batch = ReviewBatch.objects.get()
    assert batch.state == ReviewBatch.State.SUBMITTED

    # The supervisor, in a browser of her own, approves eight and asks for changes on two.
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    log_in(tab, "veileder@uni.no")
    batch_url = reverse("review_batch", args=[study.pk, batch.pk])
    tab.goto(batch_url)
    assert "Hva som skjer med et forslag etterpå." in tab.inner_text("#code-comments")
    assert tab.locator(f"#item-{excerpts[0].pk} mark").inner_text() == excerpts[0].text
    for excerpt in excerpts[:8]:
        tab.locator(f"#item-{excerpt.pk} .approve-button").click()
        tab.wait_for_load_state("domcontentloaded")
    comments = {excerpts[8].pk: "Ta med hele setningen før.", excerpts[9].pk: "Passer bedre under lederens rolle?"}
    for excerpt_id, text in comments.items():
        tab.locator(f"#item-{excerpt_id} .request-change-button").click()
        tab.wait_for_load_state("domcontentloaded")
        tab.fill(f"#comment-excerpt-{excerpt_id}", text)
        tab.locator(f"#item-{excerpt_id} .new-comment-form").get_by_role("button", name="Comment").click()
        tab.wait_for_load_state("domcontentloaded")
    tab.locator("#close-review").click()
    tab.wait_for_load_state("domcontentloaded")
    assert tab.inner_text("#batch-state") == "Changes requested"

    # The researcher reads the comments, fixes both excerpts, answers and resubmits.
    page.goto(batch_url)
    for excerpt_id, text in comments.items():
        assert text in page.inner_text(f"#item-{excerpt_id}")
    link = page.locator(f"#item-{excerpts[8].pk}").get_by_role("link", name="Open in the coding view")
    assert link.get_attribute("href").endswith(f"/sources/{source.pk}/code/#excerpt-{excerpts[8].pk}")
    widened = Excerpt.objects.get(pk=excerpts[8].pk)
    start = TEXT.index(LINES[8])
    excerpt_services.excerpt_adjust(
        excerpt=widened, actor=student, start=start, end=widened.end, text=TEXT[start : widened.end]
    )
    recoded = Excerpt.objects.get(pk=excerpts[9].pk)
    excerpt_services.excerpt_code_add(excerpt=recoded, actor=student, code=other_code)
    excerpt_services.excerpt_code_remove(excerpt=recoded, actor=student, code=code)
    page.fill(f"#item-{excerpts[8].pk} .reply-form input[name=text]", "Utvidet til hele linjen.")
    page.locator(f"#item-{excerpts[8].pk} .reply-form").get_by_role("button", name="Reply").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Utvidet til hele linjen." in page.inner_text(f"#item-{excerpts[8].pk}")
    page.locator("#main").get_by_role("button", name="Resubmit").click()
    page.wait_for_selector("#review-batches")

    # The supervisor approves the two and closes the review.
    tab.goto(batch_url)
    assert tab.locator(f"#item-{excerpts[8].pk} mark").inner_text() == TEXT[start : widened.end]
    for excerpt in excerpts[8:]:
        tab.locator(f"#item-{excerpt.pk} .approve-button").click()
        tab.wait_for_load_state("domcontentloaded")
    tab.locator("#close-review").click()
    tab.wait_for_load_state("domcontentloaded")
    assert tab.inner_text("#batch-state") == "Approved"
    batch.refresh_from_db()
    assert batch.state == ReviewBatch.State.APPROVED and batch.round == 2
    assert not batch.items.exclude(decision=ReviewItem.Decision.APPROVED).exists()
    context.close()

    # The audit page shows every step with who did it.
    page.goto(reverse("audit_log", args=[study.pk]))

    def rows(action: str, actor: str) -> int:
        return page.locator("tbody tr").filter(has_text=action).filter(has_text=actor).count()

    assert rows("review.submitted", "Stina Student") == 2
    assert rows("review.item_decided", "Vera Veileder") == 12
    assert rows("review.decided", "Vera Veileder") == 2
    assert rows("review.commented", "Vera Veileder") == 2
    assert rows("review.commented", "Stina Student") == 1
