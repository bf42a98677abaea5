"""The laptop trial: SQLite, the filesystem broker, the console e-mail backend."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

if CELERY_BROKER_URL == "filesystem://":  # noqa: F405
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

if not IDENTITY_ENCRYPTION_KEYS:  # noqa: F405
    # A fixed key for the laptop trial only; production refuses to start without one.
    IDENTITY_ENCRYPTION_KEYS = ["bG9jYWwtdHJpYWwtb25seS1ub3QtYS1zZWNyZXQtMDA="]

# WhiteNoise serves from the finders here; it only wants the directory to exist.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405
