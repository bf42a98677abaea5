"""Report jobs survive dead workers: leases and heartbeats, one file per job, the attempt cap, the requeue sweep.

The first part calls the service in this process; the second runs real workers
on Redis (``worker_factory``: a queue of the test's own), kills them with
SIGKILL mid-render and starts new ones. Renders are made to block or crash on
cue through ``REPORT_RENDER_HOOK`` (``tests/report_hooks.py``), never by timing.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.utils import timezone

from cases.models import AuditEvent, ReportJob
from cases.models.reports import report_path
from cases.services import reports as services
from cases.tasks import render_report
from tests.cases.test_reports import make_job, pdf_text
from tests.report_hooks import HookCue

CAPPED_NB = "Stoppet etter {n} forsøk: bakgrunnsprosessen stoppet før den ble ferdig, hver gang."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def report_files(media: Path, study) -> list[str]:
    """Every file under the study's report folder, finished or not."""
    folder = media / "reports" / str(study.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def lapsed(settings) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.REPORT_LEASE_SECONDS + 5)


# --- in this process ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_job_has_one_file_name_whatever_the_attempt(study):
    job = make_job(study)
    assert report_path(job) == f"reports/{study.pk}/{job.pk}-method-overview.pdf"
    assert report_path(job, "anything.pdf") == report_path(job)


@pytest.mark.django_db
def test_a_render_after_a_dead_attempt_replaces_what_it_left(study, media, settings):
    """A worker killed after writing (or half-writing) the file but before the row said done leaves files behind."""
    job = make_job(study, ReportJob.State.RUNNING, attempts=1, heartbeat_at=lapsed(settings))
    name = media / report_path(job)
    name.parent.mkdir(parents=True)
    name.write_bytes(b"%PDF-1.7 the whole file of the dead attempt")
    Path(f"{name}.part").write_bytes(b"%PDF-1.7 half of a")

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)
    assert report_files(media, study) == [name.name]
    assert job.file.name == report_path(job)
    with job.file.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and b"dead attempt" not in data
    assert study.title in pdf_text(data)


@pytest.mark.django_db
def test_the_capped_claim_fails_the_job_and_removes_what_dead_attempts_left(
    study, media, settings, django_capture_on_commit_callbacks
):
    job = make_job(study, ReportJob.State.RUNNING, attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=lapsed(settings))
    name = media / report_path(job)
    name.parent.mkdir(parents=True)
    Path(f"{name}.part").write_bytes(b"%PDF-1.7 half")

    with django_capture_on_commit_callbacks(execute=True):
        services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == "failed"
    assert job.message == CAPPED_NB.format(n=settings.REPORT_MAX_ATTEMPTS)
    assert report_files(media, study) == []


@pytest.mark.django_db
def test_the_capped_message_is_in_the_studys_language(study, settings):
    study.language = "en"
    study.save()
    job = make_job(study, attempts=settings.REPORT_MAX_ATTEMPTS)
    services.report_render(job_id=job.pk)
    job.refresh_from_db()
    assert job.message == (
        f"Stopped after {settings.REPORT_MAX_ATTEMPTS} attempts: the worker stopped before finishing each of them."
    )


def fail_while_writing(*, job, stage):
    if stage == "writing":
        raise OSError("disk full")


@pytest.mark.django_db
def test_a_failure_while_writing_leaves_no_half_file(study, media, settings):
    settings.REPORT_RENDER_HOOK = "tests.cases.test_reports_reliability.fail_while_writing"
    job = make_job(study)

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.message) == ("failed", "OSError")
    assert not job.file
    assert report_files(media, study) == []


def take_over_while_rendering(*, job, stage):
    """Another worker claims the job while this one renders (its lease lapsed, say in a long pause)."""
    if stage == "rendering":
        ReportJob.objects.filter(pk=job.pk).update(attempts=job.attempts + 1, heartbeat_at=timezone.now())


@pytest.mark.django_db
def test_an_attempt_whose_job_was_taken_over_publishes_nothing(study, media, settings):
    settings.REPORT_RENDER_HOOK = "tests.cases.test_reports_reliability.take_over_while_rendering"
    job = make_job(study)

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.progress) == ("running", 2, 60), "the new owner's row is left alone"
    assert not job.file and report_files(media, study) == []
    assert not AuditEvent.objects.filter(action="report.generated", target_id=job.pk).exists()


def wait_for_a_heartbeat(*, job, stage):
    """Hold the render until the heartbeat thread has refreshed the job's lease (another connection, committed)."""
    if stage != "rendering":
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = ReportJob.objects.get(pk=job.pk)
        if row.heartbeat_at > job.heartbeat_at + dt.timedelta(seconds=0.2):
            return
        time.sleep(0.05)
    raise AssertionError("no heartbeat while the render was held")


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_the_lease_while_a_render_runs(study, media, settings):
    settings.REPORT_LEASE_SECONDS = 1
    settings.REPORT_RENDER_HOOK = "tests.cases.test_reports_reliability.wait_for_a_heartbeat"
    job = make_job(study)

    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == "done", job.message
    assert job.heartbeat_at > job.started_at


@pytest.mark.django_db
def test_the_sweep_enqueues_jobs_whose_worker_died_or_whose_message_was_lost(study, settings, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(render_report, "delay", sent.append)
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    lost = dt.timedelta(seconds=settings.REPORT_REQUEUE_QUEUED_AFTER_SECONDS)
    fresh_queued = make_job(study)
    old_queued = make_job(study)
    ReportJob.objects.filter(pk=old_queued.pk).update(requested_at=now - lost - dt.timedelta(seconds=1))
    live = make_job(study, ReportJob.State.RUNNING, attempts=1, started_at=now - 3 * lease, heartbeat_at=now)
    dead = make_job(
        study, ReportJob.State.RUNNING, attempts=1, started_at=now - 3 * lease, heartbeat_at=now - 2 * lease
    )
    never_beat = make_job(study, ReportJob.State.RUNNING, attempts=1, started_at=now - 2 * lease)
    capped = make_job(
        study, ReportJob.State.RUNNING, attempts=settings.REPORT_MAX_ATTEMPTS, heartbeat_at=now - 2 * lease
    )
    for state in ("done", "failed", "stale"):
        make_job(study, state, heartbeat_at=now - 2 * lease)

    enqueued = services.reports_requeue_stalled()

    assert enqueued == sent == sorted([old_queued.pk, dead.pk, never_beat.pk, capped.pk])
    assert fresh_queued.pk not in enqueued and live.pk not in enqueued


@pytest.mark.django_db
def test_another_kind_brings_its_own_renderer_and_inherits_the_rest(study, media, monkeypatch):
    """A chapter kind (the composer's) maps its kind to a renderer; claim, cap and one-file publication are shared."""
    calls: list[int] = []

    def chapter(job):
        calls.append(job.attempts)
        return services.Rendered(b"%PDF-1.7 a chapter", informant_ids=[], page_count=1)

    monkeypatch.setitem(services.RENDERERS, "chapter_test", chapter)
    job = ReportJob.objects.create(study=study, kind="chapter_test", requested_by=study.created_by, language="nb")

    services.report_render(job_id=job.pk)
    services.report_render(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.attempts, calls) == ("done", 1, [1])
    assert report_files(media, study) == [f"{job.pk}-chapter-test.pdf"]
    assert services.report_filename(job).startswith("chapter-test-")


def test_the_sweep_runs_from_beat_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reports-requeue-stalled"]
    assert entry["task"] == "cases.tasks.reports_requeue_stalled"
    assert entry["schedule"] <= settings.REPORT_LEASE_SECONDS


def test_the_task_is_acked_late_and_rejected_when_its_worker_is_lost():
    assert render_report.acks_late is True
    assert render_report.reject_on_worker_lost is True


# --- real workers on Redis -----------------------------------------------------------------------------

LEASE_SECONDS = 2
FINISHED = {ReportJob.State.DONE, ReportJob.State.FAILED, ReportJob.State.STALE}


def wait_for(condition, worker, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if worker is not None:
            worker.assert_alive()
        time.sleep(0.05)
    pytest.fail(f"Not {what} after {timeout} s." + (f"\n{worker.log()}" if worker is not None else ""))


def wait_finished(job: ReportJob, worker, timeout: float = 90) -> ReportJob:
    def finished():
        job.refresh_from_db()
        return job.state in FINISHED

    wait_for(finished, worker, f"finished (report {job.pk} is {job.state})", timeout)
    return job


def wait_lease_lapsed(job: ReportJob) -> None:
    def lapsed_now():
        job.refresh_from_db()
        return timezone.now() > job.heartbeat_at + dt.timedelta(seconds=LEASE_SECONDS)

    wait_for(lapsed_now, None, "lapsed", timeout=LEASE_SECONDS * 5)


@pytest.fixture
def cue(tmp_path) -> HookCue:
    return HookCue(tmp_path / "cue.json")


@pytest.fixture
def worker_env(settings, media, cue) -> dict[str, str]:
    """Short leases so a dead worker's job is free again within seconds; the test process agrees on them."""
    settings.REPORT_LEASE_SECONDS = LEASE_SECONDS
    return {**cue.env, "REPORT_LEASE_SECONDS": str(LEASE_SECONDS)}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_write_is_replaced_and_the_job_ends_done_with_one_file(
    worker_factory, worker_env, cue, study, media
):
    cue.set("rendering", "block")
    first = worker_factory(env=worker_env)
    job = make_job(study)

    render_report.apply_async((job.pk,), queue=worker_factory.queue)

    reached = cue.wait_reached(first)
    assert (reached["job"], reached["attempt"]) == (job.pk, 1)

    # While its worker lives, the heartbeat keeps the lease past its length, and a second delivery leaves it alone.
    def beaten_past_the_lease():
        job.refresh_from_db()
        return job.heartbeat_at > job.started_at + dt.timedelta(seconds=LEASE_SECONDS)

    wait_for(beaten_past_the_lease, first, "refreshed by the heartbeat")
    with pytest.raises(services.JobBusy):
        services.report_render(job_id=job.pk)

    # Let it go on to write the file, and kill it halfway.
    cue.set("writing", "block")
    assert cue.wait_reached(first)["stage"] == "writing"
    name = Path(report_path(job)).name
    assert report_files(media, study) == [f"{name}.part"], "half written, under a name that is never served"
    first.kill()
    cue.clear()
    wait_lease_lapsed(job)
    assert job.state == "running" and job.attempts == 1
    second = worker_factory(env=worker_env)  # its start sweeps the stalled job back into the queue

    wait_finished(job, second)
    assert job.state == "done", job.message
    assert job.attempts == 2
    assert report_files(media, study) == [name]
    assert job.file.name == report_path(job)
    with job.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")

    # A second delivery of the finished job is a no-op; a sentinel job behind it shows the worker has taken it.
    finished_at = job.finished_at
    render_report.apply_async((job.pk,), queue=worker_factory.queue)
    sentinel = make_job(study)
    render_report.apply_async((sentinel.pk,), queue=worker_factory.queue)
    assert wait_finished(sentinel, second).state == "done"
    job.refresh_from_db()
    assert (job.state, job.attempts, job.finished_at) == ("done", 2, finished_at)
    assert report_files(media, study) == sorted([name, Path(report_path(sentinel)).name])
    assert AuditEvent.objects.filter(action="report.generated", target_id=job.pk).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_that_crashes_its_worker_every_time_stops_after_the_cap(
    worker_factory, worker_env, cue, study, media, settings
):
    """Prefork: the render runs in a child; each SIGKILL of the child is a lost worker, and the message comes back."""
    cue.set("rendering", "crash")
    worker = worker_factory(env=worker_env, pool="prefork")
    job = make_job(study)

    render_report.apply_async((job.pk,), queue=worker_factory.queue)

    wait_finished(job, worker, timeout=120)
    assert job.state == "failed"
    assert job.attempts == settings.REPORT_MAX_ATTEMPTS
    assert job.message == CAPPED_NB.format(n=settings.REPORT_MAX_ATTEMPTS)
    assert not job.file and report_files(media, study) == []
    worker.assert_alive()

    # The worker itself survived its children: the next job renders.
    cue.clear()
    other = make_job(study)
    render_report.apply_async((other.pk,), queue=worker_factory.queue)
    assert wait_finished(other, worker).state == "done"
    assert other.attempts == 1
