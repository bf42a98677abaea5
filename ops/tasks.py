from celery import shared_task

from ops.services import heartbeat_record


@shared_task(ignore_result=True, expires=120)
def worker_heartbeat() -> None:
    """Every minute from beat: shows that beat schedules and a worker runs (read by ``/health/worker/``)."""
    heartbeat_record()
