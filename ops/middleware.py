from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ops import views

HEALTH_VIEWS = {"/health/live/": views.live, "/health/ready/": views.ready, "/health/worker/": views.worker}


class HealthCheckMiddleware:
    """First in ``MIDDLEWARE``: answers the health paths itself, so probes skip everything after it.

    A load balancer probes a web process by its IP address over plain HTTP; further down, the host check
    would answer 400 and ``SECURE_SSL_REDIRECT`` a 301, and sessions, CSRF and CSP would do work for nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
