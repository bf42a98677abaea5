"""Fixtures for the real services: Redis and a Celery worker on the test database.

``celery_worker`` starts a real worker subprocess once per test session,
pointed at pytest-django's *test* database, the test Redis broker and this
run's own queue (``CELERY_TASK_DEFAULT_QUEUE`` is ``thesis-test-<pid>``, so
parallel runs on one Redis never take each other's jobs). A test that uses it
must be ``@pytest.mark.django_db(transaction=True)``: the worker is another
process and only sees committed rows. Under ``CI=true`` a missing Redis or
PostgreSQL fails the test; elsewhere it skips.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

WORKER_START_TIMEOUT = 60


def _redis_answers(url: str) -> bool:
    if not url.startswith(("redis://", "rediss://")):
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_available() -> bool:
    """Whether the broker of the test settings is a Redis that answers."""
    return _redis_answers(settings.CELERY_BROKER_URL)


def database_url_for(settings_dict: dict) -> str:
    """A DATABASE_URL for the database pytest-django created (``test_<name>``)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


class Worker:
    """A running ``celery worker`` subprocess and where its output goes."""

    def __init__(self, process: subprocess.Popen, nodename: str, queue: str, log_path: Path):
        self.process = process
        self.nodename = nodename
        self.queue = queue
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.log()}")


def _wait_until_ready(app, worker: Worker) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        worker.assert_alive()
        if app.control.ping(destination=[worker.nodename], timeout=0.5):
            return
    worker.process.kill()
    pytest.fail(f"The Celery worker did not answer a ping within {WORKER_START_TIMEOUT} s:\n{worker.log()}")


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup, redis_available):
    from django.db import connection

    from config.celery import app
    from tests.conftest import require_service

    require_service(redis_available, "Redis")
    # The worker must share the test database; SQLite's in-memory test database cannot be shared.
    require_service(connection.vendor == "postgresql", "PostgreSQL")

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    nodename = f"{queue}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "IDENTITY_ENCRYPTION_KEYS": ",".join(settings.IDENTITY_ENCRYPTION_KEYS),
    }
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "config", "worker", "--pool=solo", "--concurrency=1", "-Q", queue, "-n", nodename,
        "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning",
    ]  # fmt: skip
    log_file = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    worker = Worker(process, nodename, queue, Path(log_file.name))
    try:
        _wait_until_ready(app, worker)
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log_file.close()
        # Leave nothing of this run's queue behind on the shared Redis.
        with app.connection_for_write() as broker:
            broker.default_channel.queue_delete(queue)
        Path(log_file.name).unlink(missing_ok=True)


@pytest.fixture
def celery_worker(_celery_worker_process: Worker) -> Worker:
    """A real Celery worker consuming this run's queue on the test database."""
    _celery_worker_process.assert_alive()
    return _celery_worker_process
