"""Celery beat runs exactly once: a second beat process refuses to start.

On PostgreSQL, beat takes a session-level advisory lock on start (``beat_init``) and holds it on a
dedicated connection for as long as the process lives; the lock goes with the connection when the
process dies, so a stand-by beat can be started on another machine after the first one is gone.
On SQLite (the laptop trial, one machine) there is nothing to guard.
"""

from __future__ import annotations

import logging
import time

from celery.signals import beat_init

logger = logging.getLogger(__name__)

# An arbitrary constant, the same on every machine of an installation.
BEAT_LOCK_KEY = 0x7468657369730B  # "thesis" + 11

_held = None  # the connection that holds the lock; kept for the life of the process
START_WAIT = 10.0  # seconds a starting beat waits for the lock of one that has just died


class BeatAlreadyRunning(RuntimeError):
    pass


def acquire_beat_lock(alias: str = "default", *, wait: float = 0.0):
    """Take the beat lock on a new connection and return that connection, or raise ``BeatAlreadyRunning``.

    ``wait``: seconds to keep trying. A beat that died lets go of the lock only once PostgreSQL has ended its
    session, a moment after its connection closed; a beat restarted at once (or a stand-by) would otherwise
    find the lock still held and stop. Returns ``None`` (no lock needed) when the database is not PostgreSQL.
    """
    from django.db import connections

    if connections[alias].vendor != "postgresql":
        return None
    wrapper = connections.create_connection(alias)
    wrapper.ensure_connection()
    deadline = time.monotonic() + wait
    while True:
        with wrapper.connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY])
            (taken,) = cursor.fetchone()
        if taken:
            return wrapper
        if time.monotonic() >= deadline:
            wrapper.close()
            raise BeatAlreadyRunning("Another Celery beat holds the schedule lock; run beat in one process only.")
        time.sleep(0.1)


@beat_init.connect
def _take_the_beat_lock(sender=None, **kwargs) -> None:
    global _held
    try:
        _held = acquire_beat_lock(wait=START_WAIT)
    except BeatAlreadyRunning as error:
        logger.critical("%s This beat stops.", error)
        raise SystemExit(1) from None
