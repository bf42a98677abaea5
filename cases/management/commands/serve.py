"""Run the web server and a Celery worker (with the beat schedule) together; Ctrl-C stops both.

This is what ``make run`` starts: one command in the foreground that owns its two children.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development web server and a Celery worker with beat; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options):
        python = sys.executable
        celery = str(Path(python).with_name("celery"))
        schedule = str(Path(settings.BASE_DIR) / "var" / "celerybeat-schedule")
        children = [
            subprocess.Popen(  # noqa: S603 - fixed arguments, no user input
                [celery, "-A", "config", "worker", "-B", "--schedule", schedule, "--pool=solo", "--loglevel=warning"]
            ),
            subprocess.Popen([python, "manage.py", "runserver", f"127.0.0.1:{port}"]),  # noqa: S603
        ]
        interrupted = False
        try:
            while all(child.poll() is None for child in children):
                try:
                    children[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            interrupted = True
        finally:
            self._stop(children, interrupted=interrupted)

    def _stop(self, children: list[subprocess.Popen], *, interrupted: bool) -> None:
        # Ctrl-C reaches the children too (same process group): let the worker finish a warm
        # shutdown. If instead one child died, stop the other.
        if not interrupted:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.stdout.write("Stopped the web server and the worker.")
