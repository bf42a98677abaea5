"""The coding view in headless Chromium: a mouse selection after an emoji maps to exact Python offsets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from interviews.models import Code, Excerpt
from tests.e2e.helpers import RECT_JS, log_in, select_with_mouse
from tests.factories import InformantFactory, StudyFactory, UserFactory
from tests.interviews.coding_helpers import make_code, make_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Moderator: Hva tenker dere? 😀🇳🇴\nI1: Vi lærer av hverandre & <deler> hver dag.\nI2: Ja, æøå.\n"
SENTENCE = "Vi lærer av hverandre & <deler> hver dag."


def test_select_with_the_mouse_apply_a_shortcut_and_undo(page):  # noqa: F811
    user = UserFactory(email="koder@uni.no", full_name="Kari Koder", password="Lang-passord-2026")
    study = StudyFactory(created_by=user)
    source = make_source(study, TEXT, informants={"I1": InformantFactory(study=study, code="K1")})
    code = make_code(study, "Læring", shortcut="1", colour="#2a9d8f")
    assert TEXT.index(SENTENCE) != TEXT.encode("utf-16-le").find(SENTENCE.encode("utf-16-le")) // 2

    log_in(page, "koder@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    start = TEXT.index(SENTENCE)
    box = page.evaluate(RECT_JS, [start, start + len(SENTENCE)])
    page.mouse.move(box["x0"], box["y0"])
    page.mouse.down()
    page.mouse.move(box["x1"], box["y1"], steps=8)
    page.mouse.up()
    page.wait_for_function("() => !document.getElementById('apply-codes').disabled")
    page.keyboard.press("1")
    page.wait_for_selector("#coding-text .hl")

    excerpt = Excerpt.objects.get()
    assert (excerpt.start, excerpt.end, excerpt.text) == (start, start + len(SENTENCE), SENTENCE)
    assert list(excerpt.codes.all()) == [code]
    assert page.locator("#coding-text .hl").all_inner_texts() == [SENTENCE]
    assert page.locator(f"#excerpt-{excerpt.pk} .code-badge").inner_text().startswith("Læring")
    assert page.locator(f"#excerpt-{excerpt.pk}").get_by_text("K1").is_visible()
    # The code colour reached the highlight through the constructed stylesheet.
    colour = page.eval_on_selector("#coding-text .hl", "el => getComputedStyle(el).getPropertyValue('--code').trim()")
    assert colour == "#2a9d8f"
    assert page.evaluate("() => document.getElementById('coding-text').textContent") == TEXT

    # Delete from the margin: the line's spans and the item are swapped out in place.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#excerpt-{excerpt.pk} [data-action=delete]").click()
    page.wait_for_selector("#coding-text .hl", state="detached")
    assert not Excerpt.objects.exists() and page.locator(".margin-item").count() == 0
    assert page.locator("#coding-count").inner_text() == "0"
    assert page.evaluate("() => document.getElementById('coding-text').textContent") == TEXT

    # Ctrl+Z restores it (the whole workspace comes back).
    page.locator("#coding-text").focus()
    page.keyboard.press("Control+z")
    page.wait_for_selector("#coding-text .hl")
    restored = Excerpt.objects.get()
    assert (restored.start, restored.text) == (start, SENTENCE)
    assert page.locator("#coding-text .hl").all_inner_texts() == [SENTENCE]
    assert page.locator(".margin-item").count() == 1


def test_keyboard_selection_and_in_vivo_code(page):  # noqa: F811
    user = UserFactory(email="tast@uni.no", full_name="Tor Tast", password="Lang-passord-2026")
    study = StudyFactory(created_by=user)
    source = make_source(study, TEXT)

    log_in(page, "tast@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    page.locator("#coding-text").focus()
    for _ in range(len("Moderator")):
        page.keyboard.press("Shift+ArrowRight")
    # Each Shift+arrow reads the selection at once, not when selectionchange comes: no wait is needed
    # before the selection shows in full.
    assert "0–9" in page.locator("#coding-selection").inner_text()
    assert page.evaluate("() => !document.getElementById('in-vivo').disabled")
    page.keyboard.press("n")
    page.wait_for_selector("#coding-text .hl")
    excerpt = Excerpt.objects.get()
    assert (excerpt.start, excerpt.end, excerpt.text) == (0, 9, "Moderator")
    assert [c.name for c in excerpt.codes.all()] == ["Moderator"]
    assert page.locator("#coding-codes .code-option").inner_text().strip() == "Moderator"


def test_a_large_codebook_opens_by_keyboard_searches_on_the_server_and_applies(page):  # noqa: F811
    user = UserFactory(email="stor@uni.no", full_name="Siri Stor", password="Lang-passord-2026")
    study = StudyFactory(created_by=user)
    source = make_source(study, TEXT, informants={"I1": InformantFactory(study=study, code="K1")})
    themes = Code.objects.bulk_create(
        Code(study=study, name=f"Tema {n:02d}", position=n, created_by=user) for n in range(30)
    )
    Code.objects.bulk_create(
        Code(study=study, name=f"Kode {n:02d}-{m:02d}", parent=theme, position=m, created_by=user)
        for n, theme in enumerate(themes)
        for m in range(14)
    )
    child = Code.objects.get(name="Kode 00-00")
    deep = make_code(study, "Taus kunnskap", parent=child, colour="#2a9d8f")

    log_in(page, "stor@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    assert page.locator("#coding-codes [data-code-tree]").is_visible()
    assert page.locator("#coding-codes .code-option").count() == 30  # the top level only
    # A disclosure button per theme: Enter opens it, its sub-codes are loaded then.
    toggle = page.get_by_role("button", name="Sub-codes of Tema 00")
    toggle.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#code-children-{themes[0].pk} .code-option")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(f"#code-children-{themes[0].pk} > .code-node").count() == 14
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert page.locator(f"#code-children-{themes[0].pk}").is_hidden()

    # Select a sentence, search for a code three levels down, Enter applies the first match.
    start = TEXT.index(SENTENCE)
    select_with_mouse(page, start, start + len(SENTENCE))
    page.wait_for_function("() => !document.getElementById('apply-codes').disabled")
    page.locator("#code-search").fill("tema 00 taus")
    page.wait_for_selector("#coding-codes [data-code-results] .code-option")
    assert page.locator("#coding-codes [data-code-tree]").is_hidden()
    results = page.locator("#coding-codes [data-code-results] .code-option")
    assert results.count() == 1 and "Tema 00 › Kode 00-00 › Taus kunnskap" in results.inner_text()
    page.locator("#code-search").press("Enter")
    page.wait_for_selector("#coding-text .hl")
    excerpt = Excerpt.objects.get()
    assert list(excerpt.codes.all()) == [deep] and excerpt.text == SENTENCE
    # The search was cleared, the tree is back, and the found code kept its colour.
    assert page.locator("#code-search").input_value() == ""
    assert page.locator("#coding-codes [data-code-tree]").is_visible()
    colour = page.eval_on_selector("#coding-text .hl", "el => getComputedStyle(el).getPropertyValue('--code').trim()")
    assert colour == "#2a9d8f"

    # A sub-code ticked in the opened tree is added to the chosen excerpt.
    page.locator(f"#excerpt-{excerpt.pk} [data-jump]").click()
    toggle.click()
    page.locator(f"#code-children-{themes[0].pk} .code-option", has_text="Kode 00-03").click()
    page.locator("#add-to-excerpt").click()
    page.wait_for_selector(f"#excerpt-{excerpt.pk} .code-badge >> nth=1")
    assert {code.name for code in excerpt.codes.all()} == {"Taus kunnskap", "Kode 00-03"}


def test_removing_the_last_code_takes_the_excerpt_out_of_text_and_margin(page):  # noqa: F811
    user = UserFactory(email="fjern@uni.no", full_name="Frida Fjern", password="Lang-passord-2026")
    study = StudyFactory(created_by=user)
    source = make_source(study, TEXT)
    code = make_code(study, "Læring", colour="#2a9d8f")
    start = TEXT.index(SENTENCE)
    excerpt = Excerpt.objects.create(
        study=study, source=source, start=start, end=start + len(SENTENCE), text=SENTENCE, created_by=user
    )
    excerpt.codes.add(code, through_defaults={"created_by": user})

    log_in(page, "fjern@uni.no")
    page.goto(reverse("coding_view", args=[study.pk, source.pk]))
    assert page.locator(".margin-item").count() == 1
    page.locator(f"#excerpt-{excerpt.pk} [data-action=remove]").click()
    # The answer names the excerpt that went: its item leaves the margin and its highlight the text, no reload.
    page.wait_for_selector(f"#excerpt-{excerpt.pk}", state="detached")
    assert page.locator("#coding-text .hl").count() == 0
    assert not Excerpt.objects.exists()
    assert page.locator("#coding-status").inner_text().startswith("Removed")
