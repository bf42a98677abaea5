"""In the browser, on a phone's width: the study's menu folds away so that the page itself comes first."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.models import Membership
from tests.e2e.helpers import log_in
from tests.factories import MembershipFactory, StudyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_study_menu_folds_away_and_opens_on_demand(page):
    student = UserFactory(email="student@uni.no", full_name="Stina Student", password="Lang-passord-2026")
    study = StudyFactory(created_by=student, title="Kundesenteret som lærende organisasjon")
    if not study.memberships.filter(user=student).exists():
        MembershipFactory(study=study, user=student, role=Membership.Role.OWNER)
    page.set_viewport_size({"width": 400, "height": 850})
    log_in(page, student.email)
    page.goto(reverse("codebook", args=[study.pk]))

    overview = page.locator("#study-menu").get_by_role("link", name="Overview")
    assert not overview.is_visible()
    assert page.get_by_role("heading", name="Codebook").bounding_box()["y"] < 250  # no menu above it

    page.get_by_role("button", name=re.compile("Study menu")).click()
    overview.wait_for(state="visible")
    overview.click()
    page.wait_for_url(re.compile(re.escape(reverse("study_overview", args=[study.pk])) + "$"))

    page.set_viewport_size({"width": 1366, "height": 900})  # on a wide screen it is always there
    page.goto(reverse("codebook", args=[study.pk]))
    assert page.locator("#study-menu").get_by_role("link", name="Overview").is_visible()
    assert not page.get_by_role("button", name=re.compile("Study menu")).is_visible()
