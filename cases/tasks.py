from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from cases.services import reports as report_services
from cases.services.lifecycle import lifecycle_run


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=20)
def render_report(self, job_id: int) -> None:
    """Thin: takes an id (never personal data), calls the service.

    ``acks_late`` with ``reject_on_worker_lost``: a worker that dies mid-render
    leaves the message to be delivered again; the job row counts the attempts
    and stops at ``REPORT_MAX_ATTEMPTS`` (see ``cases.services.reports``).
    """
    try:
        report_services.report_render(job_id=job_id)
    except report_services.JobBusy as busy:
        # Another worker holds the job; look again when its lease would lapse.
        raise self.retry(countdown=busy.retry_in) from None


@shared_task(ignore_result=True)
def reports_requeue_stalled() -> None:
    """From Celery beat every minute, and once when a worker starts: jobs whose worker died go back in the queue."""
    report_services.reports_requeue_stalled()


@worker_ready.connect
def _requeue_stalled_reports_on_start(sender=None, **kwargs) -> None:
    """A worker that starts after one was killed picks up its job without waiting for beat."""
    reports_requeue_stalled.delay()


@shared_task(ignore_result=True)
def study_lifecycle_run() -> None:
    """Daily, from Celery beat: end-date reminders and end actions. Thin: the service decides per study."""
    lifecycle_run(today=timezone.localdate())
