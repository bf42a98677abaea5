"""Celery application.

The broker is Redis in production and CI; the embedded default is kombu's
``filesystem://`` transport under ``var/`` so ``make run`` needs no server.
Job state lives in our own tables (see ``cases.models.ReportJob``), never in a
result backend.
"""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

from config.runtime import tune_garbage_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("thesis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import ops.beat  # noqa: E402, F401 - connects the single-beat guard to beat_init


@worker_init.connect  # the worker's main process (the solo pool of ``make run`` renders there)
@worker_process_init.connect  # each process of a prefork pool
def _tune_garbage_collector(**kwargs) -> None:
    tune_garbage_collector()
