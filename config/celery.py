"""Celery application.

The broker is Redis in production and CI; the embedded default is kombu's
``filesystem://`` transport under ``var/`` so ``make run`` needs no server.
Job state lives in our own tables (see ``cases.models.ReportJob``), never in a
result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("thesis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import ops.beat  # noqa: E402, F401 - connects the single-beat guard to beat_init
