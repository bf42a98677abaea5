"""Background reports rendered by WeasyPrint in a Celery worker.

The ``ReportJob`` row is the source of truth. ``report_request`` writes it and
enqueues the task on commit; ``report_render`` claims it with a conditional
update, so a second delivery of the same job is a no-op, and a job whose worker
died mid-render is claimed again until ``REPORT_MAX_ATTEMPTS`` is reached.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from pypdf import PdfReader

from cases.consent_policy import excluded_informants
from cases.models import Informant, ReportJob, Study, User

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


def _claim(job_id: int) -> ReportJob | None:
    """Move the job to running if it is queued, or running with a lapsed lease (its worker died).

    Returns None when there is nothing to do (done, failed, stale, or capped);
    raises JobBusy while another worker's lease is live.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    claimable = Q(state=ReportJob.State.QUEUED) | Q(state=ReportJob.State.RUNNING, heartbeat_at__lt=now - lease)
    with transaction.atomic():
        claimed = ReportJob.objects.filter(claimable, pk=job_id, attempts__lt=settings.REPORT_MAX_ATTEMPTS).update(
            state=ReportJob.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, progress=5
        )
        if not claimed:
            capped = ReportJob.objects.filter(claimable, pk=job_id).update(
                state=ReportJob.State.FAILED,
                finished_at=timezone.now(),
                message="Stopped after %d attempts." % settings.REPORT_MAX_ATTEMPTS,
            )
            if capped:
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


def _progress(job: ReportJob, percent: int) -> None:
    ReportJob.objects.filter(pk=job.pk, state=ReportJob.State.RUNNING).update(
        progress=percent, heartbeat_at=timezone.now()
    )



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
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def report_extension(job: ReportJob) -> str:
    return ".docx" if job.kind == ReportJob.Kind.CHAPTER_DOCX else ".pdf"


def report_content_type(job: ReportJob) -> str:
    return DOCX_TYPE if job.kind == ReportJob.Kind.CHAPTER_DOCX else "application/pdf"


def report_filename(job: ReportJob) -> str:
    finished = timezone.localdate(job.finished_at) if job.finished_at else timezone.localdate()
    if job.kind in CHAPTER_KINDS:
        return f"chapter-{job.chapter_id}-{finished.isoformat()}{report_extension(job)}"
    return f"{job.kind.replace('_', '-')}-{finished.isoformat()}.pdf"


def report_render(*, job_id: int) -> None:
    """Render one job to a PDF. Safe to call twice for the same job."""
    # Imported here: WeasyPrint is only needed in the worker, never in the web process.
    from cases.pdf import render_pdf
    from cases.reporting import build_report_context

    job = _claim(job_id)
    if job is None:
        return
    try:
        if job.kind in CHAPTER_KINDS:
            from cases.chapters.render import render_chapter

            pdf, page_count, context = render_chapter(job, lambda percent: _progress(job, percent))
        else:
            with translation.override(job.language):
                context = build_report_context(job)
                _progress(job, 40)
                html = render_to_string(f"reports/{job.kind}.html", context)
                _progress(job, 60)
                pdf = render_pdf(html)
            _progress(job, 90)
            page_count = len(PdfReader(BytesIO(pdf)).pages)
    except Exception as exc:  # noqa: BLE001 - every failure must end in a readable job state
        logger.exception("report %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk, state=ReportJob.State.RUNNING).update(
            state=ReportJob.State.FAILED, finished_at=timezone.now(), message=type(exc).__name__
        )
        return
    with transaction.atomic():
        current = ReportJob.objects.select_for_update().get(pk=job.pk)
        if current.state != ReportJob.State.RUNNING or current.attempts != job.attempts:
            # Marked stale meanwhile, or our lease lapsed and another worker took the job over.
            return
        if not _still_publishable(current, context.get("informant_ids", [])):
            # Consent changed or an informant withdrew while the PDF was rendered: never publish it.
            current.state = ReportJob.State.STALE
            current.finished_at = timezone.now()
            current.message = "Consent changed while the report was generated; request it again."
            current.save(update_fields=["state", "finished_at", "message"])
            return
        current.file.save(f"{current.kind}{report_extension(current)}", ContentFile(pdf), save=False)
        current.state = ReportJob.State.DONE
        current.progress = 100
        current.finished_at = timezone.now()
        current.page_count = page_count
        current.informant_ids = context.get("informant_ids", [])
        current.message = ""
        current.save()
        audit_record(
            study=job.study,
            actor=None,
            action="report.generated",
            target=current,
            label=current.get_kind_display(),
            pages=page_count,
        )
