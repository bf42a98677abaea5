"""Settings for the test suite.

The suite runs against PostgreSQL and Redis when they answer (always under
``CI=true``, where a missing service is an error, never a skip). On a laptop
without them it falls back to SQLite and the in-memory broker; tests that need
the real services then skip with a reason.
"""

import os
import socket
from pathlib import Path

from .base import *  # noqa: F403
from .base import VAR_DIR, env

CI = env.bool("CI", default=False)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" in os.environ:
    DATABASES = {"default": env.db("DATABASE_URL")}
elif CI or _answers("127.0.0.1", 5432):
    DATABASES = {"default": env.db_url_config("postgres://postgres@127.0.0.1:5432/thesis")}
else:
    DATABASES = {"default": env.db_url_config(f"sqlite:///{VAR_DIR / 'test.sqlite3'}")}
postgresql_tuned(DATABASES["default"])  # as in production: the suite runs the same SQL

if "CELERY_BROKER_URL" in os.environ:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL")
elif CI or _answers("127.0.0.1", 6379):
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
else:
    CELERY_BROKER_URL = "memory://"

# Every test run gets its own queue so parallel runs on one Redis never share jobs.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default=f"thesis-test-{os.getpid()}")

# Worker tests start workers with a hook that blocks or crashes a render on cue (tests/report_hooks.py).
REPORT_RENDER_HOOK = env("REPORT_RENDER_HOOK", default=None)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "test-media")
IDENTITY_ENCRYPTION_KEYS = env.list(
    "IDENTITY_ENCRYPTION_KEYS", default=["dGVzdC1rZXktZm9yLXRoZS1zdWl0ZS1vbmx5LTAwMDA="]
)
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
LANGUAGE_CODE = "en"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
}

# WhiteNoise serves from the finders here; it only wants the directory to exist.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
