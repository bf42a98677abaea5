"""Every page a member can open carries the CSP header and nothing the policy would block.

The pages come from the same resolver walk and world as the URL permission
matrix, so a new page is scanned the day its URL is added.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.security.figures import count_figure
from tests.security.html_checks import csp_header_problems, page_problems
from tests.security.test_url_permissions import OBJECT_FOR, build_world, study_urls, url_for

pytestmark = pytest.mark.django_db

# Pages outside a study a logged-in member may open.
OTHER_PAGES = ["home", "account", "password_change", "study_create"]


def member_urls(study, world) -> list[str]:
    """Every study URL the permission matrix knows how to build (a URL it does not know yet fails there)."""
    urls = []
    for entry in study_urls():
        if entry.needs_pk and not hasattr(world, OBJECT_FOR.get(entry.name) or ""):
            continue
        urls.append(url_for(entry, study, world))
    return urls + [reverse(name) for name in OTHER_PAGES]


def html_pages(client, urls):
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        yield url, response


def test_every_member_page_is_clean_under_the_policy(study, researcher, co_researcher, supervisor):
    world = build_world(study)
    urls = member_urls(study, world)
    problems: dict[str, list[str]] = {}
    scanned = 0
    for persona in (researcher, supervisor):
        for url, response in html_pages(client_for(persona), urls):
            scanned += 1
            found = csp_header_problems(response.get("Content-Security-Policy", ""))
            found += page_problems(response.content.decode())
            if found:
                problems[url] = found
    count_figure("csp_pages", scanned)
    assert not problems, problems
    # Many study URLs only take POST; the pages that render must still be the bulk of the product.
    assert scanned > len(urls) * 0.8, (scanned, len(urls))


def test_anonymous_pages_are_clean_too(client):
    response = client.get(reverse("login"))
    assert not csp_header_problems(response["Content-Security-Policy"])
    assert not page_problems(response.content.decode())
    count_figure("csp_pages")


def test_the_checker_finds_what_the_policy_forbids():
    page = (
        '<script>alert(1)</script><script src="https://cdn.example/x.js"></script><p style="color:red" onclick="x()">'
        '<a href=" java\tscript:alert(1)">x</a><iframe srcdoc="&lt;b&gt;"></iframe><script src="/static/js/app.js"></script>'
    )
    problems = page_problems(page)
    assert len(problems) == 7, problems
    assert csp_header_problems("default-src 'self'; script-src 'self' 'unsafe-inline'") == [
        "policy allows 'unsafe-inline'"
    ]
