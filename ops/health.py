"""The checks behind the health endpoints. Each returns ``None`` when fine, else a short reason.

Reasons name the kind of failure (the exception's class), never a host, a user or a password:
the endpoints answer without authentication.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone


def _reason(error: Exception) -> str:
    return f"unreachable ({type(error).__name__})"


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return _reason(error)
    return None


def check_cache() -> str | None:
    key, value = "health:ready", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=30)
        if cache.get(key) != value:
            return "read back a different value"
    except Exception as error:  # noqa: BLE001
        return _reason(error)
    return None


def check_broker() -> str | None:
    from config.celery import app

    try:
        with app.connection_for_write(connect_timeout=settings.HEALTH_BROKER_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_BROKER_TIMEOUT)
    except Exception as error:  # noqa: BLE001
        return _reason(error)
    return None


def worker_heartbeat_age() -> timedelta | None:
    """How long ago a worker last ran the beat-scheduled heartbeat task; ``None`` when it never did."""
    from ops.models import Heartbeat
    from ops.services import WORKER

    beat_at = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    return None if beat_at is None else timezone.now() - beat_at
