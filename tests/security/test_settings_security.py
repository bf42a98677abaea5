"""Passwords, log-in throttling, cookies, HSTS and the Content-Security-Policy header."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.security.test_deploy_check import ROOT, clean_environ

pytestmark = pytest.mark.django_db

PASSWORD = "korrekt-hest-batteri-stift"


def production_settings(*names: str, **environ: str) -> dict:
    """The named settings as production computes them from its environment (in a fresh process)."""
    env = {
        **environ,
        **clean_environ(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": Fernet.generate_key().decode() * 2,
        "DJANGO_ALLOWED_HOSTS": "thesis.uni.example",
        "DATABASE_URL": "postgres://thesis:secret@db.uni.example:5432/thesis",
        "CELERY_BROKER_URL": "redis://redis.uni.example:6379/0",
        "IDENTITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{name: getattr(settings, name) for name in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def login(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


# --- passwords and log-in throttling ------------------------------------------------------------------------


def test_argon2_is_the_first_hasher_in_the_real_settings():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "config.hashers.Argon2PasswordHasher"
    assert production_settings("PASSWORD_HASHERS")["PASSWORD_HASHERS"][0] == "config.hashers.Argon2PasswordHasher"


def test_passwords_are_hashed_with_argon2id_at_owasp_parameters():
    from config.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert Argon2PasswordHasher().verify(PASSWORD, encoded)
    assert not Argon2PasswordHasher().verify("feil-passord", encoded)


def test_a_hash_made_with_djangos_heavier_defaults_still_logs_in_and_is_rehashed(client, settings):
    from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoDefaults

    settings.PASSWORD_HASHERS = ["config.hashers.Argon2PasswordHasher"]  # as in base.py (tests use MD5)
    user = UserFactory(email="kari@example.org")
    user.password = DjangoDefaults().encode(PASSWORD, DjangoDefaults().salt())
    user.save(update_fields=["password"])
    assert "m=102400,t=2,p=8" in user.password

    assert login(client, user.email, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_sessions_are_read_from_the_cache_only_when_every_web_process_shares_it():
    shared = production_settings("SESSION_ENGINE", "CACHES", DJANGO_CACHE_URL="redis://redis.uni.example:6379/1")
    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    # Django's Redis cache, keeping one client per connection pool (config/cache.py).
    assert shared["CACHES"]["default"]["BACKEND"] == "config.cache.RedisCache"
    # A per-process memory cache would keep serving a session another process logged out.
    assert production_settings("SESSION_ENGINE")["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_postgresql_prepares_statements_and_skips_jit_unless_told_otherwise():
    options = production_settings("DATABASES")["DATABASES"]["default"]["OPTIONS"]
    assert options == {"server_side_binding": True, "prepare_threshold": None, "options": "-c jit=off"}
    off = production_settings("DATABASES", DJANGO_DB_PREPARED_STATEMENTS="false", DJANGO_DB_JIT="true")
    assert off["DATABASES"]["default"]["OPTIONS"] == {}


def test_postgresql_compiles_no_query_to_machine_code():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone() == ("off",)


def test_the_suite_runs_the_sql_production_runs():
    from django.db import connection

    if connection.vendor == "postgresql":
        assert connection.features.uses_server_side_binding


def test_the_login_page_logs_in_with_the_right_password(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_five_failures_lock_the_account_even_for_the_right_password(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, user.email, "feil-passord")
        assert SESSION_KEY not in client.session
    assert settings.AXES_FAILURE_LIMIT == 5
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert "Too many failed log-in attempts" in response.content.decode()


def test_the_lock_is_for_that_account_and_address(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    other = UserFactory(email="ola@example.org", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.email, "feil-passord")
    assert login(Client(), other.email, PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert login(elsewhere, user.email, PASSWORD).status_code == 302


def test_four_failures_do_not_lock(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, user.email, "feil-passord")
    assert login(client, user.email, PASSWORD).status_code == 302



def test_a_log_in_is_recorded_with_the_precompiled_backend_and_loads_the_user_each_request(client):
    from django.contrib.auth import BACKEND_SESSION_KEY

    user = UserFactory(email="kari@example.org", password=PASSWORD)
    assert login(client, user.email, PASSWORD).status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "config.auth.ModelBackend"
    assert client.get(reverse("account")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(reverse("account")).status_code == 302  # a deactivated account is logged out


def test_a_session_begun_with_djangos_own_backend_path_stays_logged_in(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("account")).status_code == 200


def test_the_backend_loads_the_same_user_as_the_orm():
    from config.auth import ModelBackend

    user = UserFactory(email="kari@example.org", password=PASSWORD, full_name="Kari Nordmann")
    loaded = ModelBackend().get_user(user.pk)
    fresh = type(user).objects.get(pk=user.pk)
    assert {f.attname: getattr(loaded, f.attname) for f in user._meta.concrete_fields} == {
        f.attname: getattr(fresh, f.attname) for f in user._meta.concrete_fields
    }
    assert loaded._state.adding is False
    assert ModelBackend().get_user(user.pk + 1000) is None


def test_a_failed_log_in_checks_the_password_once_and_still_counts_for_the_lock(client, monkeypatch):
    from django.contrib.auth.hashers import MD5PasswordHasher

    user = UserFactory(email="kari@example.org", password=PASSWORD)
    checks = []
    verify = MD5PasswordHasher.verify
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda self, *a: checks.append(1) or verify(self, *a))
    login(client, user.email, "feil-passord")
    assert len(checks) == 1  # not again by the legacy entry after it
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get(username=user.email).failures_since_start == 1

# --- cookies and transport ----------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite(client):
    user = UserFactory(email="kari@example.org", password=PASSWORD)
    response = login(client, user.email, PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert 0 < int(cookie["max-age"]) <= 60 * 60 * 12


def test_production_cookies_are_secure_and_hsts_is_on():
    values = production_settings(
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_NAME",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "DEBUG",
    )
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_SSL_REDIRECT"]
    assert values["DEBUG"] is False


def test_hsts_header_is_sent_over_https_in_production_shape(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


# --- the Content-Security-Policy header ---------------------------------------------------------------------


def test_csp_header_forbids_inline_and_eval(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "style-src" in directives
