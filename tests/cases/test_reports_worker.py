"""The method overview rendered by a real Celery worker on Redis, against the committed test database."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from cases.models import AuditEvent, ReportJob
from cases.services import reports as services
from cases.tasks import render_report
from tests.cases.test_reports import assert_method_overview, build_fieldwork, canary_server, make_job, pdf_text

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FINISHED = {ReportJob.State.DONE, ReportJob.State.FAILED}


def wait_for_job(job: ReportJob, worker, timeout: float = 60) -> list[str]:
    """Poll the job's row until it has finished; return the distinct states seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not seen or seen[-1] != job.state:
            seen.append(job.state)
        if job.state in FINISHED:
            return seen
        worker.assert_alive()
        time.sleep(0.1)
    pytest.fail(f"Report {job.pk} still {job.state} after {timeout} s; states seen {seen}.\n{worker.log()}")


def poll_status_partial(client, job: ReportJob, worker, timeout: float = 60) -> list[tuple[str, int]]:
    """Do what the page does: GET the status partial until it stops asking to be polled."""
    url = reverse("report_status", args=[job.study_id, job.pk])
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        state = re.search(r'data-report-state="(\w+)"', content)[1]
        progress = re.search(r'data-progress="(\d+)"', content)
        seen.append((state, int(progress[1]) if progress else 100))
        if "hx-trigger" not in content:
            return seen
        worker.assert_alive()
        time.sleep(0.1)
    pytest.fail(f"The status partial kept polling for {timeout} s: {seen[-3:]}.\n{worker.log()}")


def test_method_overview_queued_running_done_on_a_real_worker(
    celery_worker, study, researcher_client, supervisor_client, outsider_client
):
    fieldwork = build_fieldwork(study)

    response = researcher_client.post(reverse("report_request", args=[study.pk]))

    assert response.status_code == 302
    job = ReportJob.objects.get(study=study)
    partial_states = poll_status_partial(researcher_client, job, celery_worker)
    states = wait_for_job(job, celery_worker)
    # Whatever the polls caught, they went forward through the machine: queued → running → done.
    order = ["queued", "running", "done"]
    observed = [state for state, _ in partial_states]
    assert observed == sorted(observed, key=order.index) and observed[-1] == "done"
    assert [p for _, p in partial_states] == sorted(p for _, p in partial_states), "progress never goes back"
    assert states[-1] == "done", job.message
    assert job.attempts == 1 and job.progress == 100
    assert job.requested_at <= job.started_at <= job.heartbeat_at <= job.finished_at, "it ran before it was done"
    assert job.page_count >= 2

    with job.file.open("rb") as handle:
        data = handle.read()
    assert_method_overview(pdf_text(data), fieldwork)

    for client in (researcher_client, supervisor_client):
        download = client.get(reverse("report_download", args=[study.pk, job.pk]))
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment;")
        assert b"".join(download.streaming_content) == data
    assert outsider_client.get(reverse("report_download", args=[study.pk, job.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="report.downloaded", target_id=job.pk).count() == 2

    # A second delivery of the same job does nothing: no second file, no second attempt.
    files_before = sorted(Path(settings.MEDIA_ROOT, "reports", str(study.pk)).iterdir())
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert job.attempts == 1 and job.state == "done"
    assert sorted(Path(settings.MEDIA_ROOT, "reports", str(study.pk)).iterdir()) == files_before
    job.file.delete(save=False)


def test_a_job_at_the_attempt_cap_fails_on_the_worker(celery_worker, study):
    job = make_job(study, attempts=settings.REPORT_MAX_ATTEMPTS)

    render_report.delay(job.pk)

    assert wait_for_job(job, celery_worker)[-1] == "failed"
    assert job.message == (
        f"Stoppet etter {settings.REPORT_MAX_ATTEMPTS} forsøk: bakgrunnsprosessen stoppet før den ble ferdig, hver gang."
    )
    assert job.attempts == settings.REPORT_MAX_ATTEMPTS and not job.file


def test_html_typed_into_the_study_makes_the_worker_fetch_nothing(celery_worker, study):
    with canary_server() as (port, requests):
        study.title = f'<img src="http://127.0.0.1:{port}/canary"><img src="file:///etc/passwd">'
        study.working_title = f'<link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
        study.save()
        job = make_job(study)

        render_report.delay(job.pk)

        assert wait_for_job(job, celery_worker)[-1] == "done", job.message
    assert requests == []
    with job.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert f"127.0.0.1:{port}/canary" in text, "the title is shown as text, not loaded"
    job.file.delete(save=False)
