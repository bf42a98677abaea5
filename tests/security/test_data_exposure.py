"""Personal data stays out of logs, task arguments, error pages; files leave only as attachments."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from cases.models import ReportJob
from interviews.importers import ImportedText, normalise_text
from interviews.models import Source
from interviews.services.codebook import code_create
from interviews.services.sources import source_create
from tests.conftest import client_for
from tests.factories import InformantFactory
from tests.security.test_url_permissions import OBJECT_FOR, build_world, study_urls, url_for

pytestmark = pytest.mark.django_db

SECRET_NAME = "Ingebjørg Fjellheim-Svartdal"
SECRET_EMAIL = "ingebjorg.svartdal@kommune-a.example"
SECRET_SENTENCE = "Ingebjørg sa at rådmannen i Svartdal truet med oppsigelse"


@pytest.fixture
def every_logger_at_debug(caplog):
    """Capture as an operator who sets DJANGO_LOG_LEVEL=DEBUG would: the root and every logger not pinned by LOGGING."""
    caplog.set_level(logging.DEBUG)
    # Another test in the same process may have disabled loggers (dictConfig, logging.disable): undo that here.
    logging.disable(logging.NOTSET)
    disabled = [
        logger
        for logger in list(logging.root.manager.loggerDict.values())
        if isinstance(logger, logging.Logger) and logger.disabled
    ]
    for logger in disabled:
        logger.disabled = False
    unpinned = [
        logger
        for name, logger in list(logging.root.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and logger.level == logging.NOTSET and not name.startswith("pytest")
    ]
    for logger in unpinned:
        logger.setLevel(logging.DEBUG)
    yield caplog
    for logger in unpinned:
        logger.setLevel(logging.NOTSET)
    for logger in disabled:
        logger.disabled = True


def test_loggers_that_would_write_personal_data_are_pinned_above_debug(settings):
    """django.template logs a whole template context at DEBUG; SQL logs its parameters."""
    for name in ("django.template", "django.db.backends"):
        level = settings.LOGGING["loggers"][name]["level"]
        assert logging.getLevelName(level) > logging.DEBUG, name
        assert logging.getLogger(name).getEffectiveLevel() > logging.DEBUG, name


def captured_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_a_working_session_logs_no_identity_and_no_transcript(
    every_logger_at_debug, study, researcher_client, researcher
):
    informant = InformantFactory(study=study, code="I1")
    identity_url = reverse("identity_edit", args=[study.pk, informant.pk])
    saved = researcher_client.post(identity_url, {"full_name": SECRET_NAME, "email": SECRET_EMAIL})
    assert saved.status_code == 302
    assert SECRET_NAME in researcher_client.get(identity_url).content.decode()
    assert SECRET_NAME in researcher_client.get(reverse("key_list", args=[study.pk])).content.decode()

    text = normalise_text(f"Moderator: Hva skjedde da?\nI1: {SECRET_SENTENCE}.\n")
    source = source_create(study=study, actor=researcher, imported=ImportedText(text=text, format="txt"), title="S1")
    code_id = code_create(study=study, actor=researcher, name="Konflikt").pk
    start = text.index(SECRET_SENTENCE)
    created = researcher_client.post(
        reverse("excerpt_create", args=[study.pk]),
        {
            "source": source.pk,
            "start": start,
            "end": start + len(SECRET_SENTENCE),
            "text": SECRET_SENTENCE,
            "code": code_id,
        },
    )
    assert created.status_code in (200, 302) and source.excerpts.count() == 1
    assert researcher_client.get(reverse("coding_view", args=[study.pk, source.pk])).status_code == 200
    assert researcher_client.post(reverse("report_request", args=[study.pk])).status_code == 302

    # Whether the flow itself logs depends on what earlier tests imported; prove the capture works instead.
    logging.getLogger("cases.services").debug("capture canary")
    assert any(r.getMessage() == "capture canary" for r in every_logger_at_debug.records)
    logged = captured_text(every_logger_at_debug)
    for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_SENTENCE, "Svartdal"):
        assert secret not in logged


def test_report_task_takes_only_an_id(study, researcher_client, django_capture_on_commit_callbacks):
    from cases.tasks import render_report

    with mock.patch.object(render_report, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        assert researcher_client.post(reverse("report_request", args=[study.pk])).status_code == 302
    job = ReportJob.objects.get(study=study)
    delay.assert_called_once()
    args, kwargs = delay.call_args
    assert args == (job.pk,) and not kwargs
    assert all(type(arg) is int for arg in args)


# --- error pages --------------------------------------------------------------------------------------------


def broken_view(request):
    raise RuntimeError("something went wrong deep inside")


def ok_view(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", broken_view), path("fine/", ok_view)]


def assert_not_echoed(response, *secrets: str) -> None:
    body = response.content.decode()
    for secret in secrets:
        assert secret not in body, (response.status_code, secret)


def test_404_does_not_echo_the_request(researcher_client, settings):
    settings.DEBUG = False
    response = researcher_client.get(f"/studies/999999/{SECRET_NAME}/", {"name": SECRET_NAME})
    assert response.status_code == 404
    assert_not_echoed(response, SECRET_NAME, "999999")


def test_403_does_not_echo_the_request(study, supervisor_client, settings):
    settings.DEBUG = False
    informant = InformantFactory(study=study)
    response = supervisor_client.post(
        reverse("identity_edit", args=[study.pk, informant.pk]), {"full_name": SECRET_NAME}
    )
    assert response.status_code == 403
    assert_not_echoed(response, SECRET_NAME)


def test_csrf_failure_does_not_echo_the_request(study, researcher, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher, backend="config.auth.ModelBackend")
    informant = InformantFactory(study=study)
    response = client.post(reverse("identity_edit", args=[study.pk, informant.pk]), {"full_name": SECRET_NAME})
    assert response.status_code == 403
    assert_not_echoed(response, SECRET_NAME)


@pytest.mark.urls(__name__)
def test_500_does_not_echo_the_request_or_the_exception(settings, every_logger_at_debug):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.post(f"/boom/?q={SECRET_EMAIL}", {"full_name": SECRET_NAME})
    assert response.status_code == 500
    assert_not_echoed(response, SECRET_NAME, SECRET_EMAIL, "deep inside", "Traceback")
    # The log says what broke and where, not what the person typed.
    assert SECRET_NAME not in captured_text(every_logger_at_debug)


# --- downloads ----------------------------------------------------------------------------------------------


def test_every_download_is_an_attachment_with_nosniff(study, researcher, co_researcher, supervisor):
    world = build_world(study)
    downloads = [
        entry for entry in study_urls() if entry.name.endswith(("_download", "_export")) and entry.name in OBJECT_FOR
    ]
    assert {"file_download", "report_download"} <= {entry.name for entry in downloads}
    checked = 0
    for user in (researcher, supervisor):
        client = client_for(user)
        for entry in downloads:
            response = client.get(url_for(entry, study, world))
            if entry.name in ("file_download", "report_download"):
                assert response.status_code == 200, entry.name
            if response.status_code != 200:
                continue
            checked += 1
            assert response["Content-Disposition"].startswith("attachment;"), entry.name
            assert response["X-Content-Type-Options"] == "nosniff", entry.name
            assert not response["Content-Type"].startswith(("text/html", "image/svg")), entry.name
    assert checked >= 4


def test_media_files_are_not_served_by_url(study, researcher_client):
    world_file = build_world(study).file
    response = researcher_client.get("/media/" + world_file.file.name)
    assert response.status_code == 404
    assert Source.objects.filter(study=study).exists()
