"""Health endpoints for load balancers, orchestrators and monitoring.

* ``/health/live/``: the process answers (no database, no cache): restart it when this fails.
* ``/health/ready/``: the database, the cache and the broker answer: send it traffic only when this is 200.
* ``/health/worker/``: a worker ran the beat-scheduled heartbeat recently: beat and at least one worker are up.

They answer JSON, ``200`` or ``503``, to GET and HEAD only. ``ops.middleware.HealthCheckMiddleware`` serves
them before any other middleware, so a probe by IP address over plain HTTP gets no redirect to HTTPS, no
``DisallowedHost``, no session, CSRF or CSP work, and never meets axes (it authenticates nobody). They carry
no study data and are not study URLs (``tests/security/test_url_permissions.py`` lists them as public).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ops import health


def _answer(checks: dict[str, str | None], **extra) -> JsonResponse:
    ok = all(reason is None for reason in checks.values())
    body = {"status": "ok" if ok else "unavailable", "checks": {k: v or "ok" for k, v in checks.items()}, **extra}
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    return _answer(
        {"database": health.check_database(), "cache": health.check_cache(), "broker": health.check_broker()}
    )


@never_cache
@require_safe
def worker(request: HttpRequest) -> JsonResponse:
    try:
        age = health.worker_heartbeat_age()
    except Exception as error:  # noqa: BLE001 - a database failure is "not known to be up"
        return _answer({"heartbeat": f"unknown ({type(error).__name__})"})
    limit = settings.HEALTH_WORKER_MAX_AGE
    if age is None:
        return _answer({"heartbeat": "never recorded"})
    seconds = round(age.total_seconds(), 1)
    reason = None if seconds <= limit else f"older than {limit} s"
    return _answer({"heartbeat": reason}, age_seconds=seconds, max_age_seconds=limit)
