"""`manage.py check --deploy --fail-level WARNING` passes with production settings."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def clean_environ() -> dict[str, str]:
    # The browser tests relax Django's async guard for their own process; production never does.
    return {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def test_deploy_check_passes_with_production_settings():
    env = {
        **clean_environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": Fernet.generate_key().decode() + Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "thesis.uni.example",
        "DATABASE_URL": "postgres://thesis:secret@db.uni.example:5432/thesis",
        "CELERY_BROKER_URL": "redis://redis.uni.example:6379/0",
        "IDENTITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_an_identity_key():
    env = {
        **clean_environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "thesis.uni.example",
        "DATABASE_URL": "postgres://thesis:secret@db.uni.example:5432/thesis",
        "CELERY_BROKER_URL": "redis://redis.uni.example:6379/0",
        "IDENTITY_ENCRYPTION_KEYS": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "IDENTITY_ENCRYPTION_KEYS" in result.stderr
