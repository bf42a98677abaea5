"""The web processes and the workers tune the garbage collector once the application is loaded."""

from __future__ import annotations

import gc
import importlib
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
from celery.signals import worker_init, worker_process_init

from config.runtime import GC_THRESHOLDS


@pytest.fixture
def restored_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_wsgi_application_freezes_what_start_up_loaded_and_raises_the_young_generation(restored_gc, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.test")
    gc.unfreeze()
    import config.wsgi

    importlib.reload(config.wsgi)
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 10_000  # modules, Django's apps, URL patterns…


def test_the_url_patterns_and_their_views_are_loaded_before_freezing():
    """In a process of its own: in this one, other tests have loaded them long before."""
    probe = (
        "import gc, sys\n"
        "import config.wsgi\n"
        "print(int('interviews.views.coding' in sys.modules))\n"
        "import config.urls\n"
        "print(int(id(config.urls.urlpatterns) in {id(obj) for obj in gc.get_objects()}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(root)}
    found = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.split() == ["1", "0"]  # the views loaded; the patterns frozen, out of every pass


@pytest.mark.parametrize("signal", [worker_init, worker_process_init])
def test_a_worker_process_tunes_it_too(restored_gc, signal):
    from config.celery import _tune_garbage_collector

    connected = [receiver() if isinstance(receiver, weakref.ref) else receiver for _key, receiver in signal.receivers]
    assert _tune_garbage_collector in connected
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    _tune_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0
