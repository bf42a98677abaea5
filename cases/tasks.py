from celery import shared_task
from django.utils import timezone

from cases.services.lifecycle import lifecycle_run
from cases.services.reports import JobBusy, report_render


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=20)
def render_report(self, job_id: int) -> None:
    """Thin: takes an id (never personal data), calls the service."""
    try:
        report_render(job_id=job_id)
    except JobBusy as busy:
        # Another worker holds the job; look again when its lease would lapse.
        raise self.retry(countdown=busy.retry_in) from None


@shared_task(ignore_result=True)
def study_lifecycle_run() -> None:
    """Daily, from Celery beat: end-date reminders and end actions. Thin: the service decides per study."""
    lifecycle_run(today=timezone.localdate())
