"""The web processes and the workers tune the garbage collector once the application is loaded."""

from __future__ import annotations

import gc
import importlib
import weakref

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


@pytest.mark.parametrize("signal", [worker_init, worker_process_init])
def test_a_worker_process_tunes_it_too(restored_gc, signal):
    from config.celery import _tune_garbage_collector

    connected = [receiver() if isinstance(receiver, weakref.ref) else receiver for _key, receiver in signal.receivers]
    assert _tune_garbage_collector in connected
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    _tune_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0
