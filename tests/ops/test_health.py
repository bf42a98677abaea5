"""Health endpoints: cheap, unauthenticated, JSON, 503 when a dependency is down, and nothing else runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from ops import health
from ops.models import Heartbeat
from ops.services import WORKER, heartbeat_record
from ops.tasks import worker_heartbeat
from tests.conftest import require_service


def test_live_needs_no_database_and_sets_nothing(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies
    assert "Content-Security-Policy" not in response
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_probes_by_ip_over_plain_http_are_answered_not_redirected(client, settings):
    """A load balancer probes the process by address over HTTP: no 400 for the host, no 301 to HTTPS."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["thesis.uni.example"]
    for name in ("health_live", "health_ready"):
        response = client.get(reverse(name), HTTP_HOST="10.0.0.7:8000")
        assert response.status_code == 200, (name, response.status_code)
    assert client.get(reverse("login"), HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_health_answers_only_get_and_head(client):
    assert client.head("/health/live/").status_code == 200
    assert client.post("/health/live/").status_code == 405


@pytest.mark.django_db
def test_ready_checks_database_cache_and_broker(client):
    response = client.get(reverse("health_ready"))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_ready_is_503_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("db.internal:5432 refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get(reverse("health_ready"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unreachable (ConnectionError)"
    assert "db.internal" not in response.content.decode()  # no host names to an unauthenticated caller


@pytest.mark.django_db
def test_ready_is_503_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get(reverse("health_ready"))
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("unreachable")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_ready_is_503_when_the_broker_is_down(client, settings, monkeypatch):
    from config.celery import app

    settings.HEALTH_BROKER_TIMEOUT = 0.5
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("health_ready"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("unreachable")
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_worker_is_503_until_a_worker_has_run_the_heartbeat(client, settings):
    settings.HEALTH_WORKER_MAX_AGE = 180
    response = client.get(reverse("health_worker"))
    assert response.status_code == 503
    assert response.json()["checks"] == {"heartbeat": "never recorded"}

    worker_heartbeat()  # what beat schedules every minute, run by a worker
    response = client.get(reverse("health_worker"))
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert 0 <= response.json()["age_seconds"] < 180
    assert Heartbeat.objects.count() == 1

    Heartbeat.objects.filter(name=WORKER).update(beat_at=timezone.now() - dt.timedelta(seconds=181))
    response = client.get(reverse("health_worker"))
    assert response.status_code == 503
    assert response.json()["checks"]["heartbeat"] == "older than 180 s"

    heartbeat_record()  # overwrites in place
    assert Heartbeat.objects.count() == 1
    assert client.get(reverse("health_worker")).status_code == 200


def test_the_heartbeat_is_on_the_beat_schedule(settings):
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "ops.tasks.worker_heartbeat" in entries


@pytest.mark.django_db
def test_health_requests_never_touch_axes(client):
    from axes.models import AccessAttempt

    for _ in range(10):
        client.get(reverse("health_ready"))
        client.get(reverse("health_worker"))
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_second_beat_cannot_take_the_schedule_lock():
    require_service(connection.vendor == "postgresql", "PostgreSQL")
    from ops.beat import BeatAlreadyRunning, acquire_beat_lock

    first = acquire_beat_lock()
    try:
        with pytest.raises(BeatAlreadyRunning):
            acquire_beat_lock(wait=0.3)  # a second beat waits, then still refuses
    finally:
        first.close()
    # The lock went with the first beat's connection, once PostgreSQL has ended that session: a beat started
    # right after waits for it (without the wait this failed now and then).
    second = acquire_beat_lock(wait=10)
    second.close()


def test_health_reasons_name_the_error_class_only():
    assert health._reason(OSError("password=secret host=db")) == "unreachable (OSError)"
