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

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
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

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def assert_alive(self) -> None:
        if not self.alive:
            pytest.fail(f"The Celery worker exited with {self.process.returncode}:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the worker and every process it started (a prefork pool's children too), as a crash would."""
        if self.alive:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=15)

    def stop(self) -> None:
        """A warm shutdown; SIGKILL if it takes longer than 15 s."""
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def wait_exit(self, timeout: float = 60) -> int:
        """Wait for the worker to end by itself (a crash on cue); return its exit code."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"The Celery worker was still running after {timeout} s.\n{self.log()}")

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


def _wait_until_ready(app, worker: Worker) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        worker.assert_alive()
        if app.control.ping(destination=[worker.nodename], timeout=0.5):
            return
    worker.kill()
    pytest.fail(f"The Celery worker did not answer a ping within {WORKER_START_TIMEOUT} s:\n{worker.log()}")


def start_worker(
    *, queue: str, env: dict[str, str] | None = None, pool: str = "solo", name: str | None = None
) -> Worker:
    """Start a ``celery worker`` on ``queue`` against the test database and wait until it answers a ping.

    ``env`` adds to (or overrides) the worker's environment, e.g. a shorter
    ``REPORT_LEASE_SECONDS`` or a ``REPORT_RENDER_HOOK``. ``pool="prefork"``
    runs the task in a child process (concurrency 1), so a crash in the task
    leaves the worker up and ``reject_on_worker_lost`` applies. The worker
    runs in its own process group, so ``Worker.kill`` takes its children too.
    """
    from django.db import connection

    from config.celery import app

    nodename = f"{name or queue}@{socket.gethostname()}"
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "IDENTITY_ENCRYPTION_KEYS": ",".join(settings.IDENTITY_ENCRYPTION_KEYS),
        **(env or {}),
    }
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "config", "worker", f"--pool={pool}", "--concurrency=1", "-Q", queue, "-n", nodename,
        "--without-heartbeat", "--without-mingle", "--without-gossip", "-l", "warning",
    ]  # fmt: skip
    log_file = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=worker_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()  # the child has its own handle
    worker = Worker(process, nodename, queue, Path(log_file.name))
    _wait_until_ready(app, worker)
    return worker


def delete_queue(queue: str) -> None:
    """Leave nothing of a test's queue on the shared Redis: its messages, and those a killed worker held unacked."""
    from config.celery import app

    with app.connection_for_write() as broker:
        channel = broker.default_channel
        channel.queue_delete(queue)
        client = getattr(channel, "client", None)
        if client is None:
            return
        # kombu's Redis transport keeps unacknowledged messages in a hash until they are restored to their queue.
        for tag, payload in client.hscan_iter(channel.unacked_key):
            try:
                routing_key = json.loads(payload)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if routing_key == queue:
                client.hdel(channel.unacked_key, tag)
                client.zrem(channel.unacked_index_key, tag)


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup, redis_available):
    from django.db import connection

    from tests.conftest import require_service

    require_service(redis_available, "Redis")
    # The worker must share the test database; SQLite's in-memory test database cannot be shared.
    require_service(connection.vendor == "postgresql", "PostgreSQL")

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    worker = start_worker(queue=queue)
    try:
        yield worker
    finally:
        worker.stop()
        delete_queue(queue)
        worker.remove_log()


@pytest.fixture
def celery_worker(_celery_worker_process: Worker) -> Worker:
    """A real Celery worker consuming this run's queue on the test database."""
    _celery_worker_process.assert_alive()
    return _celery_worker_process


@pytest.fixture
def worker_factory(django_db_setup, redis_available):
    """Start workers of the test's own, on a queue of the test's own; each is killed and its queue emptied after.

    ``worker_factory(env={...}, pool="solo")`` starts one and returns its ``Worker``;
    ``worker_factory.queue`` is where to send the test's tasks
    (``render_report.apply_async((job.pk,), queue=worker_factory.queue)``).
    For tests that kill workers: the session's ``celery_worker`` stays untouched.
    """
    from django.db import connection

    from tests.conftest import require_service

    require_service(redis_available, "Redis")
    require_service(connection.vendor == "postgresql", "PostgreSQL")

    started: list[Worker] = []
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{uuid.uuid4().hex[:8]}"

    def start(*, env: dict[str, str] | None = None, pool: str = "solo") -> Worker:
        worker = start_worker(queue=queue, env=env, pool=pool, name=f"{queue}-{len(started) + 1}")
        started.append(worker)
        return worker

    start.queue = queue
    try:
        yield start
    finally:
        for worker in started:
            worker.kill()
            worker.remove_log()
        delete_queue(queue)
