"""In the browser: the demo study out as a REFI-QDA project, and back in as a new study after a preview."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from cases.demo.builder import DEMO_PASSWORD, RESEARCHER, demo_study_build, demo_users_ensure
from cases.models import Study
from interviews.models import Excerpt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(tab, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SHOTS_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_export_a_study_and_import_it_as_a_new_one(page, tmp_path):
    users = demo_users_ensure()
    study = demo_study_build(users=users)
    page.goto(reverse("login"))
    page.fill("#id_username", RESEARCHER.email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("#main").get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state("domcontentloaded")

    page.goto(reverse("study_overview", args=[study.pk]))
    page.get_by_role("link", name="Exchange").click()
    page.wait_for_load_state("domcontentloaded")
    assert "TV5 has no consent recorded" in page.locator("#export-report").inner_text()
    _shot(page, tmp_path, "exchange")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download project (.qdpx)").click()
    qdpx = tmp_path / "study.qdpx"
    info.value.save_as(qdpx)

    page.goto(reverse("home"))
    page.get_by_role("link", name="Import a project").click()
    page.set_input_files("#id_file", str(qdpx))
    page.fill("#id_title", "Reimportert studie")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("domcontentloaded")
    assert "This is what will be added" in page.content()
    _shot(page, tmp_path, "import-preview")
    page.get_by_role("button", name="Create the study").click()
    page.wait_for_load_state("domcontentloaded")
    copy = Study.objects.get(title="Reimportert studie")
    assert page.url.endswith(reverse("study_overview", args=[copy.pk]))
    assert Excerpt.objects.filter(study=copy).count() == Excerpt.objects.filter(study=study).count()
