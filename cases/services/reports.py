"""Background reports rendered by WeasyPrint in a Celery worker, for every ``ReportJob`` kind.

What holds, and how:

- The ``ReportJob`` row is the source of truth, never Celery's state.
  ``report_request`` writes it and enqueues the task on commit
  (``delay_on_commit``), so a worker never looks for a row that is not there.
- ``report_render`` claims the job with a conditional update (queued, or
  running with a lapsed lease → running, ``attempts + 1``). A second delivery
  of a job that is done, failed or stale does nothing; one that arrives while
  another worker holds a live lease raises ``JobBusy`` and the task retries
  when that lease would lapse.
- While it renders, a worker refreshes ``heartbeat_at`` from a background
  thread every quarter of ``REPORT_LEASE_SECONDS``. A worker that dies
  (SIGKILL, out of memory) stops refreshing; after the lease another worker
  may claim the job. The broker redelivers it (``acks_late`` with
  ``reject_on_worker_lost``), and where the broker does not – a whole worker
  killed on Redis keeps its message unacknowledged for the visibility
  timeout – ``reports_requeue_stalled`` does: from Celery beat every minute
  and once when a worker starts.
- Every claim counts an attempt; the claim after ``REPORT_MAX_ATTEMPTS``
  marks the job failed with a message saying it was stopped, so a job that
  crashes its worker every time cannot loop for ever.
- Each job has one file name (``report_path``). The PDF is written to
  ``<name>.part`` and moved over the name in one step, then the row is
  updated; a re-render after a crash replaces the file rather than adding
  one, and a half-written ``.part`` is never served and is overwritten or
  removed. A worker whose lease was taken over publishes nothing.
- ``REPORT_RENDER_HOOK`` (tests only) names a callable run at fixed stages of
  a render, so tests can make a render slow or crash deterministically.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from pypdf import PdfReader

from cases.consent_policy import excluded_informants
from cases.models import Informant, ReportJob, Study, User
from cases.models.reports import report_path

from .audit import audit_record

logger = logging.getLogger(__name__)


def report_request(*, study: Study, actor: User, kind: str = ReportJob.Kind.METHOD_OVERVIEW) -> ReportJob:
    from cases.tasks import render_report

    with transaction.atomic():
        job = ReportJob.objects.create(study=study, kind=kind, requested_by=actor, language=study.language)
        audit_record(study=study, actor=actor, action="report.requested", target=job, label=job.get_kind_display())
        render_report.delay_on_commit(job.pk)
    return job


class JobBusy(Exception):
    """Another worker holds a live lease on the job; try again after ``retry_in`` seconds."""

    def __init__(self, retry_in: int):
        super().__init__(retry_in)
        self.retry_in = retry_in


def _lapsed_lease(now) -> Q:
    """Running, but its worker has not been heard of for a whole lease: it died."""
    lapsed_before = now - timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    return Q(state=ReportJob.State.RUNNING) & (
        Q(heartbeat_at__lt=lapsed_before) | Q(heartbeat_at__isnull=True, started_at__lt=lapsed_before)
    )


def _capped_message(language: str) -> str:
    with translation.override(language):
        return gettext("Stopped after %(attempts)d attempts: the worker stopped before finishing each of them.") % {
            "attempts": settings.REPORT_MAX_ATTEMPTS
        }


def _claim(job_id: int) -> ReportJob | None:
    """Move the job to running if it is queued, or running with a lapsed lease (its worker died).

    Returns None when there is nothing to do (done, failed, stale, or capped:
    a claim after ``REPORT_MAX_ATTEMPTS`` marks the job failed and removes any
    file a dead attempt left); raises JobBusy while another worker's lease is live.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    claimable = Q(state=ReportJob.State.QUEUED) | _lapsed_lease(now)
    with transaction.atomic():
        claimed = ReportJob.objects.filter(claimable, pk=job_id, attempts__lt=settings.REPORT_MAX_ATTEMPTS).update(
            state=ReportJob.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=5
        )
        if not claimed:
            capped = ReportJob.objects.select_for_update().filter(claimable, pk=job_id).first()
            if capped is not None:
                capped.state = ReportJob.State.FAILED
                capped.finished_at = timezone.now()
                capped.message = _capped_message(capped.language)
                capped.save(update_fields=["state", "finished_at", "message"])
                transaction.on_commit(lambda: _discard_files(capped))
                logger.warning("report %s failed: attempt cap reached", job_id)
                return None
            running = (
                ReportJob.objects.filter(pk=job_id, state=ReportJob.State.RUNNING)
                .values_list("heartbeat_at", flat=True)
                .first()
            )
            if running is not None:
                raise JobBusy(max(1, int((running + lease - now).total_seconds()) + 1))
            return None
    return ReportJob.objects.select_related("study").get(pk=job_id)


def _owned(job: ReportJob):
    """The job's row while this attempt still owns it: running, and not taken over by a later attempt."""
    return ReportJob.objects.filter(pk=job.pk, state=ReportJob.State.RUNNING, attempts=job.attempts)


def _progress(job: ReportJob, percent: int) -> None:
    _owned(job).update(progress=percent, heartbeat_at=timezone.now())


class _Heartbeat:
    """Refreshes the job's ``heartbeat_at`` from a thread while the render runs, so a long render keeps its lease.

    The thread stops with the ``with`` block; if the process dies, so does the
    heartbeat, and the lease lapses.
    """

    def __init__(self, job: ReportJob):
        self.job = job
        self.interval = max(settings.REPORT_LEASE_SECONDS / 4, 0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"report-{job.pk}-heartbeat", daemon=True)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                _owned(self.job).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a lost heartbeat only shortens the lease; the render goes on
            logger.exception("report %s: heartbeat stopped", self.job.pk)
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join()


def _hook(job: ReportJob, stage: str) -> None:
    """Run the test-only ``REPORT_RENDER_HOOK`` at a stage: "claimed", "rendering", "writing"."""
    if settings.REPORT_RENDER_HOOK:
        import_string(settings.REPORT_RENDER_HOOK)(job=job, stage=stage)


WRITE_CHUNK = 64 * 1024


def _partial_name(name: str) -> str:
    return f"{name}.part"


def _write_file(job: ReportJob, content: bytes) -> str:
    """Write the job's file under its one name, replacing what an earlier attempt left; return the name.

    On local storage the bytes go to ``<name>.part`` first and are moved over
    the name in one step, so the name never holds half a file.
    """
    name = report_path(job)
    storage = ReportJob._meta.get_field("file").storage
    try:
        path = Path(storage.path(name))
    except NotImplementedError:  # remote storage: no rename; delete and save under the same name
        storage.delete(name)
        saved = storage.save(name, ContentFile(content))
        if saved != name:
            raise RuntimeError(f"storage saved report {job.pk} as {saved}, not {name}") from None
        return name
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(_partial_name(str(path)))
    with open(partial, "wb") as handle:
        for offset in range(0, len(content), WRITE_CHUNK):
            handle.write(content[offset : offset + WRITE_CHUNK])
            if offset == 0:
                handle.flush()
                _hook(job, "writing")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return name


def _discard_files(job: ReportJob) -> None:
    """Remove what an unfinished attempt of the job may have left: the file under its name and a ``.part``."""
    storage = ReportJob._meta.get_field("file").storage
    name = report_path(job)
    for leftover in (name, _partial_name(name)):
        try:
            storage.delete(leftover)
        except OSError:
            logger.exception("report %s: could not remove %s", job.pk, leftover)


def reports_requeue_stalled() -> list[int]:
    """Enqueue again every job whose worker died and whose message the broker may not redeliver.

    Running jobs with a lapsed lease, and queued jobs older than
    ``REPORT_REQUEUE_QUEUED_AFTER_SECONDS`` (their message was lost). A job
    enqueued twice is harmless: the claim lets one delivery through. A job at
    the attempt cap is enqueued too, so its claim marks it failed. Returns the
    ids enqueued.
    """
    from cases.tasks import render_report

    now = timezone.now()
    lost_before = now - timedelta(seconds=settings.REPORT_REQUEUE_QUEUED_AFTER_SECONDS)
    stalled = _lapsed_lease(now) | Q(state=ReportJob.State.QUEUED, requested_at__lt=lost_before)
    job_ids = list(ReportJob.objects.filter(stalled).order_by("pk").values_list("pk", flat=True))
    for job_id in job_ids:
        logger.warning("report %s: enqueued again, its worker is gone or its message was lost", job_id)
        render_report.delay(job_id)
    return job_ids


def report_ids_containing(study: Study, informant_id: int) -> list[int]:
    """The study's reports whose data include the informant.

    Filtered in Python: a JSON ``contains`` lookup is not available on SQLite (the
    laptop default), and a study has few reports.
    """
    rows = ReportJob.objects.filter(study=study).values_list("pk", "informant_ids")
    return [pk for pk, ids in rows if informant_id in (ids or [])]


def reports_invalidate_for_informant(
    *, informant_id: int, study: Study, actor: User | None, reason: str, forget: bool = False
) -> int:
    """Stop serving every report that contains the informant's data; returns how many reports changed.

    Before: inside the caller's transaction. After: each done report whose
    ``informant_ids`` holds the informant is stale with ``reason`` as its
    message; the files of those reports (and of any other report holding the
    informant) are deleted from storage once the transaction commits.
    ``forget`` also removes the informant's id from ``informant_ids`` (a
    withdrawal: no row may point at them afterwards).
    """
    jobs = list(ReportJob.objects.select_for_update().filter(pk__in=report_ids_containing(study, informant_id)))
    storage = ReportJob._meta.get_field("file").storage
    changed = 0
    for job in jobs:
        touched = False
        if job.state == ReportJob.State.DONE:
            job.state = ReportJob.State.STALE
            job.message = reason
            touched = True
        if job.file:
            name = job.file.name
            transaction.on_commit(lambda name=name: storage.delete(name))
            job.file = ""
            touched = True
        if forget:
            job.informant_ids = [pk for pk in job.informant_ids if pk != informant_id]
        job.save(update_fields=["state", "message", "file", "informant_ids"])
        if touched:
            changed += 1
            audit_record(
                study=study, actor=actor, action="report.invalidated", target=job, label=job.get_kind_display()
            )
    return changed


def _still_publishable(job: ReportJob, informant_ids: list[int]) -> bool:
    """Re-check, at publication, that every informant the report shows still exists and may be shown."""
    if not informant_ids:
        return True
    existing = set(Informant.objects.filter(study=job.study, pk__in=informant_ids).values_list("pk", flat=True))
    excluded = excluded_informants(job.study)
    return existing == set(informant_ids) and not (existing & set(excluded))


class ReportUnavailable(Exception):
    """The report has no file to serve: it is not done, has gone stale, or its file is missing."""


def report_download(*, job: ReportJob, actor: User) -> File:
    """Open a done report's PDF for reading and log who took it.

    Before: ``job`` belongs to a study ``actor`` may view. After: an audit row
    ``report.downloaded`` exists. Raises ``ReportUnavailable`` for any job that
    is not done, and writes nothing then.
    """
    if job.state != ReportJob.State.DONE or not job.file:
        raise ReportUnavailable(job.state)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        logger.error("report %s is done but its file is missing", job.pk)
        raise ReportUnavailable(job.state) from None
    audit_record(study=job.study, actor=actor, action="report.downloaded", target=job, label=job.get_kind_display())
    return handle


CHAPTER_KINDS = (ReportJob.Kind.CHAPTER_PDF, ReportJob.Kind.CHAPTER_DOCX)
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def report_content_type(job: ReportJob) -> str:
    """From the file's type (``ReportJob.file_extension``), the one place that knows which kind makes which file."""
    return CONTENT_TYPES[job.file_extension]


def report_filename(job: ReportJob) -> str:
    finished = timezone.localdate(job.finished_at) if job.finished_at else timezone.localdate()
    if job.kind in CHAPTER_KINDS:
        return f"chapter-{job.chapter_id}-{finished.isoformat()}.{job.file_extension}"
    return f"{job.kind.replace('_', '-')}-{finished.isoformat()}.{job.file_extension}"


@dataclass(frozen=True)
class Rendered:
    """What a renderer made of a job: the file's bytes and the informants whose data it shows."""

    content: bytes
    informant_ids: list[int]
    page_count: int | None = None


def render_html_to_pdf(job: ReportJob) -> Rendered:
    """The default renderer: ``reports/<kind>.html`` with ``build_report_context``, through WeasyPrint."""
    # Imported here: WeasyPrint is only needed in the worker, never in the web process.
    from cases.pdf import render_pdf
    from cases.reporting import build_report_context

    with translation.override(job.language):
        context = build_report_context(job)
        _progress(job, 40)
        html = render_to_string(f"reports/{job.kind}.html", context)
        _progress(job, 60)
        _hook(job, "rendering")
        pdf = render_pdf(html)
    _progress(job, 90)
    return Rendered(pdf, context.get("informant_ids", []), len(PdfReader(BytesIO(pdf)).pages))


# A kind whose file is made another way (a DOCX chapter, say) maps its kind to a
# renderer here; it inherits the claim, the lease, the cap and the one-file publication.
RENDERERS: dict[str, Callable[[ReportJob], Rendered]] = {}


def render_chapter_job(job: ReportJob) -> Rendered:
    """A chapter-4 job: the composer's document, as PDF (WeasyPrint) or DOCX (python-docx)."""
    from cases.chapters.render import render_chapter

    content, page_count, context = render_chapter(job, lambda percent: _progress(job, percent))
    return Rendered(content, context.get("informant_ids", []), page_count)


RENDERERS[ReportJob.Kind.CHAPTER_PDF] = render_chapter_job
RENDERERS[ReportJob.Kind.CHAPTER_DOCX] = render_chapter_job


def report_render(*, job_id: int) -> None:
    """Render one job to its file. Safe to call twice, or concurrently, for the same job.

    Before: a ``ReportJob`` row with ``job_id`` (any state). After: if this
    call claimed the job, it is done with exactly one file, failed with a
    message, or stale; a later attempt that took over from this one wins and
    this one publishes nothing.
    """
    job = _claim(job_id)
    if job is None:
        return
    # The heartbeat covers the publication too: a worker stuck writing the file keeps its lease, and
    # the transaction below commits before the heartbeat thread is stopped and joined.
    with _Heartbeat(job):
        try:
            _hook(job, "claimed")
            rendered = RENDERERS.get(job.kind, render_html_to_pdf)(job)
        except Exception as exc:  # noqa: BLE001 - every failure must end in a readable job state
            logger.exception("report %s failed", job.pk)
            if _owned(job).update(state=ReportJob.State.FAILED, finished_at=timezone.now(), message=type(exc).__name__):
                _discard_files(job)
            return
        _publish(job, rendered)


def _publish(job: ReportJob, rendered: Rendered) -> None:
    """Write the file and mark the job done, if this attempt still owns the job and may still publish it."""
    informant_ids = rendered.informant_ids
    with transaction.atomic():
        current = ReportJob.objects.select_for_update().get(pk=job.pk)
        if current.state != ReportJob.State.RUNNING or current.attempts != job.attempts:
            # Marked stale meanwhile, or our lease lapsed and another worker took the job over.
            return
        if not _still_publishable(current, informant_ids):
            # Consent changed or an informant withdrew while the PDF was rendered: never publish it.
            current.state = ReportJob.State.STALE
            current.finished_at = timezone.now()
            current.message = "Consent changed while the report was generated; request it again."
            current.save(update_fields=["state", "finished_at", "message"])
            transaction.on_commit(lambda: _discard_files(current))
            return
        try:
            current.file.name = _write_file(current, rendered.content)
        except Exception as exc:  # noqa: BLE001 - a full disk must end in a readable job state too
            logger.exception("report %s: the file could not be written", job.pk)
            _discard_files(current)
            current.state = ReportJob.State.FAILED
            current.finished_at = timezone.now()
            current.message = type(exc).__name__
            current.save(update_fields=["state", "finished_at", "message"])
            return
        current.state = ReportJob.State.DONE
        current.progress = 100
        current.finished_at = timezone.now()
        current.page_count = rendered.page_count
        current.informant_ids = informant_ids
        current.message = ""
        current.save()
        audit_record(
            study=job.study,
            actor=None,
            action="report.generated",
            target=current,
            label=current.get_kind_display(),
            pages=rendered.page_count,
        )
