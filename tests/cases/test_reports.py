"""Reports without a worker: the views, the status partial, the download, report_render called directly,
the attempt cap and the PDF renderer's url fetcher. The end-to-end run on a real worker is in
``test_reports_worker.py``."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from contextlib import contextmanager
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.models import AuditEvent, ReportJob
from cases.pdf import BlockedResource, StaticOnlyURLFetcher, render_pdf
from cases.services import reports as services
from interviews.models import Attendance, Session
from tests.factories import (
    AttendanceFactory,
    ConsentRecordFactory,
    IdentityRecordFactory,
    InformantFactory,
    InformantGroupFactory,
    ResearchQuestionFactory,
    SessionFactory,
    SiteFactory,
)

IDENTITY_NAME = "Kari Nordmann"
IDENTITY_EMAIL = "kari.nordmann@example.org"


def build_fieldwork(study) -> dict:
    """Informants with codes and one of them on the key list; a day-dated and a month-only session."""
    ResearchQuestionFactory(study=study, label="FS1", text="Hvilke forutsetninger må være på plass?")
    site = SiteFactory(study=study, pseudonym="Kommune A")
    employers = InformantGroupFactory(study=study, label="Arbeidsgiver", position=1)
    employees = InformantGroupFactory(study=study, label="Arbeidstaker", position=2)
    leader = InformantFactory(study=study, code="AG1", group=employers, site=site, role="personalleder")
    worker = InformantFactory(study=study, code="AT2", group=employees, site=site, role="verneombud")
    absent = InformantFactory(study=study, code="AT3", group=employees, site=site, role="tillitsvalgt")
    IdentityRecordFactory(informant=leader, full_name=IDENTITY_NAME, email=IDENTITY_EMAIL)
    for informant in (leader, worker, absent):  # without consent an informant is left out of the report
        ConsentRecordFactory(informant=informant)
    interview = SessionFactory(study=study, code="S01", date=dt.date(2017, 1, 20), duration_minutes=55)
    focus_group = SessionFactory(
        study=study,
        code="FG1",
        kind=Session.Kind.FOCUS_GROUP,
        date=dt.date(2016, 11, 1),
        date_precision=Session.DatePrecision.MONTH,
    )
    AttendanceFactory(session=interview, informant=leader)
    AttendanceFactory(session=focus_group, informant=worker)
    AttendanceFactory(session=focus_group, informant=absent, status=Attendance.Status.ABSENT)
    return {"codes": ["AG1", "AT2", "AT3"], "dates": ["2017-01-20", "2016-11"]}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def assert_method_overview(text: str, fieldwork: dict) -> None:
    for code in fieldwork["codes"]:
        assert code in text
    for date in fieldwork["dates"]:
        assert date in text
    assert "2016-11-01" not in text, "a month-only date must not show a day"
    assert "Kommune A" in text and "Arbeidsgiver" in text and "personalleder" in text
    assert IDENTITY_NAME not in text and "Nordmann" not in text
    assert IDENTITY_EMAIL not in text


@contextmanager
def canary_server():
    """A tiny HTTP server on loopback that records every request it receives."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


def make_job(study, state=ReportJob.State.QUEUED, **fields) -> ReportJob:
    fields = {"requested_by": study.created_by, "language": study.language, **fields}
    return ReportJob.objects.create(study=study, kind=ReportJob.Kind.METHOD_OVERVIEW, state=state, **fields)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- the list and the request button ------------------------------------------------------------


@pytest.mark.django_db
def test_empty_report_list_says_what_to_do_next(researcher_client, study):
    response = researcher_client.get(reverse("report_list", args=[study.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "No reports yet." in content
    assert reverse("report_request", args=[study.pk]) in content


@pytest.mark.django_db
def test_supervisor_sees_the_history_but_no_generate_button(supervisor_client, study):
    make_job(study, ReportJob.State.DONE, progress=100, page_count=3)
    response = supervisor_client.get(reverse("report_list", args=[study.pk]))
    assert response.status_code == 200
    assert reverse("report_request", args=[study.pk]) not in response.content.decode()
    assert 'data-report-state="done"' in response.content.decode()


@pytest.mark.django_db
def test_report_list_query_count_does_not_grow_with_rows(
    researcher_client, study, co_researcher, django_assert_num_queries
):
    make_job(study)
    url = reverse("report_list", args=[study.pk])
    with CaptureQueriesContext(connection) as captured:
        researcher_client.get(url)
    one_row = len(captured)
    for state in ReportJob.State.values:
        make_job(study, state, requested_by=co_researcher)
    with django_assert_num_queries(one_row):
        response = researcher_client.get(url)
    assert response.content.decode().count('<tr id="report-') == 1 + len(ReportJob.State.values)


@pytest.mark.django_db
def test_request_creates_a_queued_job_enqueues_it_on_commit_and_redirects(
    researcher_client, study, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = researcher_client.post(reverse("report_request", args=[study.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("report_list", args=[study.pk])
    job = ReportJob.objects.get(study=study)
    assert (job.state, job.kind, job.language, job.requested_by) == (
        "queued",
        "method_overview",
        "nb",
        study.created_by,
    )
    assert len(callbacks) == 1, "the task is sent only once the job row is committed"
    assert AuditEvent.objects.filter(study=study, action="report.requested", target_id=job.pk).exists()


@pytest.mark.django_db
def test_supervisor_cannot_request_a_report_and_get_is_refused(supervisor_client, researcher_client, study):
    assert supervisor_client.post(reverse("report_request", args=[study.pk])).status_code == 403
    assert researcher_client.get(reverse("report_request", args=[study.pk])).status_code == 405
    assert not ReportJob.objects.exists()


# --- the status partial ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "progress"), [("queued", 0), ("running", 40)])
def test_status_partial_polls_and_shows_progress_while_active(researcher_client, study, state, progress):
    job = make_job(study, state, progress=progress)
    response = researcher_client.get(reverse("report_status", args=[study.pk, job.pk]), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in content
    assert f'hx-get="{reverse("report_status", args=[study.pk, job.pk])}"' in content
    assert f'data-progress="{progress}"' in content
    assert "style=" not in content
    assert "<html" not in content, "a partial, not a page"


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["done", "failed", "stale"])
def test_status_partial_stops_polling_once_finished(researcher_client, study, state):
    job = make_job(study, state, progress=100 if state == "done" else 5, message="Stopped after 3 attempts.")
    content = researcher_client.get(reverse("report_status", args=[study.pk, job.pk])).content.decode()
    assert "hx-trigger" not in content
    assert f'data-report-state="{state}"' in content
    assert (reverse("report_download", args=[study.pk, job.pk]) in content) == (state == "done")
    if state == "failed":
        assert "Stopped after 3 attempts." in content


@pytest.mark.django_db
def test_status_of_another_studys_report_is_404(outsider_client, outsider, study):
    foreign = make_job(outsider.memberships.get().study)
    job = make_job(study)
    assert outsider_client.get(reverse("report_status", args=[study.pk, job.pk])).status_code == 404
    # Through the outsider's own study the id of a job of ours does not resolve either.
    own_study = foreign.study
    assert outsider_client.get(reverse("report_status", args=[own_study.pk, job.pk])).status_code == 404


# --- the download -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_done_report_downloads_as_an_attachment_and_is_audited(researcher_client, supervisor_client, study, media):
    job = make_job(study, ReportJob.State.DONE, progress=100, finished_at=timezone.now())
    job.file.save("method_overview.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    for client in (researcher_client, supervisor_client):
        response = client.get(reverse("report_download", args=[study.pk, job.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "method-overview-" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert AuditEvent.objects.filter(study=study, action="report.downloaded", target_id=job.pk).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "status"), [("queued", 404), ("running", 404), ("failed", 404), ("stale", 410)])
def test_unfinished_failed_or_stale_report_is_not_served(researcher_client, study, media, state, status):
    job = make_job(study, state)
    job.file.save("method_overview.pdf", ContentFile(b"%PDF-1.7 old"), save=True)
    response = researcher_client.get(reverse("report_download", args=[study.pk, job.pk]))
    assert response.status_code == status
    assert "This report cannot be downloaded" in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.downloaded").exists()


@pytest.mark.django_db
def test_done_report_whose_file_is_gone_is_404(researcher_client, study, media):
    job = make_job(study, ReportJob.State.DONE, file="reports/nowhere.pdf")
    assert researcher_client.get(reverse("report_download", args=[study.pk, job.pk])).status_code == 404


@pytest.mark.django_db
def test_outsider_cannot_download(outsider_client, study, media):
    job = make_job(study, ReportJob.State.DONE)
    job.file.save("method_overview.pdf", ContentFile(b"%PDF-1.7"), save=True)
    assert outsider_client.get(reverse("report_download", args=[study.pk, job.pk])).status_code == 404


# --- report_render without Celery ---------------------------------------------------------------------


@pytest.mark.django_db
def test_report_render_writes_the_method_overview_pdf(study, media):
    fieldwork = build_fieldwork(study)
    job = make_job(study)

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts, job.message) == ("done", 100, 1, "")
    assert job.page_count >= 2
    assert job.started_at <= job.finished_at
    assert sorted(job.informant_ids) == sorted(study.informants.values_list("pk", flat=True))
    with job.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    assert_method_overview(pdf_text(data), fieldwork)
    assert study.title in pdf_text(data)
    assert AuditEvent.objects.filter(study=study, action="report.generated", target_id=job.pk).exists()


@pytest.mark.django_db
def test_report_render_twice_is_a_no_op(study, media):
    job = make_job(study)
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    first_file, first_finished = job.file.name, job.finished_at

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.file.name, job.finished_at, job.attempts) == (first_file, first_finished, 1)
    assert len(list((media / "reports" / str(study.pk)).iterdir())) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["queued", "running"])
def test_job_at_the_attempt_cap_fails_with_a_message(study, media, settings, state):
    lapsed = timezone.now() - dt.timedelta(seconds=settings.REPORT_LEASE_SECONDS + 5)
    job = make_job(study, state, attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=lapsed)

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == ReportJob.State.FAILED
    assert job.message == (
        f"Stoppet etter {settings.REPORT_MAX_ATTEMPTS} forsøk: bakgrunnsprosessen stoppet før den ble ferdig, hver gang."
    )
    assert job.attempts == settings.REPORT_MAX_ATTEMPTS
    assert not job.file


@pytest.mark.django_db
def test_job_running_under_a_live_lease_is_left_to_its_worker(study, settings):
    job = make_job(study, ReportJob.State.RUNNING, attempts=1, heartbeat_at=timezone.now())
    with pytest.raises(services.JobBusy) as busy:
        services.report_render(job_id=job.pk)
    assert 0 < busy.value.retry_in <= settings.REPORT_LEASE_SECONDS + 1
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("running", 1)


@pytest.mark.django_db
def test_job_whose_worker_died_is_claimed_again(study, media, settings):
    lapsed = timezone.now() - dt.timedelta(seconds=settings.REPORT_LEASE_SECONDS + 5)
    job = make_job(study, ReportJob.State.RUNNING, attempts=1, heartbeat_at=lapsed)
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)


@pytest.mark.django_db
def test_a_rendering_error_ends_in_failed_with_a_message(study, media, monkeypatch):
    def broken(html):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("cases.pdf.render_pdf", broken)
    job = make_job(study)
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.message) == ("failed", "RuntimeError")
    assert job.finished_at is not None and not job.file


# --- the url fetcher: our static files and nothing else ---------------------------------------------------


def test_url_fetcher_serves_our_report_css():
    response = StaticOnlyURLFetcher().fetch("static://css/report.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:9/", "static://../../../../etc/passwd", "static:///etc/passwd",
     "data:text/plain,hello", "static://css/no-such.css"],
)  # fmt: skip
def test_url_fetcher_refuses_everything_else(url):
    with pytest.raises(BlockedResource):
        StaticOnlyURLFetcher().fetch(url)


def test_rendering_html_with_hostile_images_reads_no_file_and_calls_no_host():
    with canary_server() as (port, requests):
        html = (
            '<html><body><p>Report body</p><img src="file:///etc/passwd">'
            f'<img src="http://127.0.0.1:{port}/canary"><link rel="stylesheet" href="http://127.0.0.1:{port}/css">'
            "</body></html>"
        )
        pdf = render_pdf(html)
    assert requests == []
    text = pdf_text(pdf)
    assert "Report body" in text
    assert "root:" not in text
