"""Settings for the load test's gunicorn: production's shape over plain HTTP on loopback.

Like production: DEBUG off, persistent database connections, Argon2 passwords, Redis broker and cache
(sessions read from the cache).
Unlike production: no HTTPS (so no Secure cookies or redirects), since locust talks to 127.0.0.1.
Every server error is logged with its traceback to gunicorn's stderr (``var/bench-load/gunicorn.log``),
so that an error counted by locust can be explained afterwards.
"""

import os

# As in production (docs/DEPLOY.md): a cache shared by the web processes, so sessions are read from it too.
os.environ.setdefault("DJANGO_CACHE_URL", "redis://127.0.0.1:6379/8")

from config.settings.base import *  # noqa: E402, F403
from config.settings.base import DATABASES, env  # noqa: E402

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
IDENTITY_ENCRYPTION_KEYS = ["bG9hZC10ZXN0LW9ubHktbm90LWEtc2VjcmV0LTAwMDA="]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s pid=%(process)d: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    # Django's own "django" logger only prints when DEBUG is on; send its errors (500s with tracebacks) here.
    "loggers": {"django": {"level": "WARNING", "handlers": ["stderr"], "propagate": False}},
}
