"""Shared fixtures: the named personas and the real services.

Personas: ``researcher`` (owner), ``co_researcher``, ``supervisor``,
``outsider`` (a user of another study) and anonymous (the plain ``client``).
Under ``CI=true`` a test that needs PostgreSQL, Redis or Chromium fails when the
service is missing; elsewhere it skips with the reason.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from cases.models import Membership
from tests.factories import MembershipFactory, StudyFactory, UserFactory

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

pytest_plugins = ["tests.services", "tests.browser", "tests.security.figures"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Start every test in the settings' language: a request in another test may have left bokmål active."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def require_service(available: bool, name: str) -> None:
    """Skip locally, fail in CI, when a real service the test needs is not there."""
    if available:
        return
    if CI:
        pytest.fail(f"{name} is required under CI=true but is not available.")
    pytest.skip(f"{name} is not available on this machine.")


@pytest.fixture
def study(db):
    owner = UserFactory(email="researcher@example.org", full_name="Rita Researcher")
    return StudyFactory(created_by=owner, title="En studie av medarbeiderdrevet innovasjon")


@pytest.fixture
def researcher(study):
    return study.created_by


@pytest.fixture
def co_researcher(study):
    user = UserFactory(email="co@example.org", full_name="Carl Co-researcher")
    MembershipFactory(study=study, user=user, role=Membership.Role.CO_RESEARCHER)
    return user


@pytest.fixture
def supervisor(study):
    user = UserFactory(email="supervisor@example.org", full_name="Siri Supervisor")
    MembershipFactory(study=study, user=user, role=Membership.Role.SUPERVISOR)
    return user


@pytest.fixture
def outsider(db):
    """A real user with a study of their own, but no access to ``study``."""
    user = UserFactory(email="outsider@example.org", full_name="Otto Outsider")
    StudyFactory(created_by=user, title="Someone else's study")
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="config.auth.ModelBackend")
    return client


@pytest.fixture
def researcher_client(researcher):
    return client_for(researcher)


@pytest.fixture
def co_researcher_client(co_researcher):
    return client_for(co_researcher)


@pytest.fixture
def supervisor_client(supervisor):
    return client_for(supervisor)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)
