"""A ``REPORT_RENDER_HOOK`` for tests: make a render block or crash at a chosen stage, on cue.

A worker started with ``REPORT_RENDER_HOOK=tests.report_hooks.on_cue`` and
``REPORT_HOOK_CONTROL=<file>`` reads the file at every stage of every render.
The file holds JSON ``{"stage": "rendering", "action": "block"}``; actions:

- ``block``: write ``<file>.reached`` (the stage and this process's id) and
  wait until the file no longer says block – the test kills the worker or
  changes the cue;
- ``crash``: SIGKILL this process, as an out-of-memory kill would;
- ``fail``: raise an ordinary exception.

No file, or another stage: the render runs as usual. The test process writes
the file through ``HookCue``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

POLL_SECONDS = 0.05


def _cue(control: Path) -> dict:
    try:
        return json.loads(control.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def on_cue(*, job, stage: str) -> None:
    control = Path(os.environ["REPORT_HOOK_CONTROL"])
    cue = _cue(control)
    if cue.get("stage") != stage:
        return
    action = cue.get("action")
    if action == "block":
        reached = control.with_name(control.name + ".reached")
        reached.write_text(json.dumps({"stage": stage, "pid": os.getpid(), "job": job.pk, "attempt": job.attempts}))
        while _cue(control) == cue:
            time.sleep(POLL_SECONDS)
    elif action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "fail":
        raise RuntimeError(f"render failed on cue at {stage}")


class HookCue:
    """The test's side: set the cue and wait until a worker has reached it."""

    def __init__(self, control: Path):
        self.control = control
        self.reached_file = control.with_name(control.name + ".reached")

    @property
    def env(self) -> dict[str, str]:
        return {"REPORT_RENDER_HOOK": "tests.report_hooks.on_cue", "REPORT_HOOK_CONTROL": str(self.control)}

    def set(self, stage: str | None = None, action: str | None = None) -> None:
        self.reached_file.unlink(missing_ok=True)
        self.control.write_text(json.dumps({"stage": stage, "action": action} if stage else {}))

    def clear(self) -> None:
        self.set()

    def wait_reached(self, worker, timeout: float = 60) -> dict:
        """Block until a render has reached the cue; return what it wrote (stage, pid, job, attempt)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return json.loads(self.reached_file.read_text())
            except (FileNotFoundError, ValueError):
                worker.assert_alive()
                time.sleep(POLL_SECONDS)
        raise AssertionError(f"No render reached the cue within {timeout} s.\n{worker.log()}")
