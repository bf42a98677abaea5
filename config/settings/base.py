"""Settings shared by every environment.

One ``environ.Env()``; every integration has a switch that defaults to the
embedded choice (SQLite, the filesystem broker, the console e-mail backend).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "simple_history",
    "cases",
    "interviews",
    "ops",
]

MIDDLEWARE = [
    # First: answers /health/* itself, before host checks, HTTPS redirects, sessions and CSP (see ops/views.py).
    "ops.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def postgresql_tuned(database: dict) -> dict:
    """On PostgreSQL: prepared statements, and no JIT compilation of queries.

    * Django binds parameters on the client and prepares nothing, so PostgreSQL parses and plans every query
      anew. Applying a code spent a third of its time there (planning the consent query alone: 0.4 ms).
      Parameters are bound on the server, so that the hot statements that ask for it can be prepared once
      per connection (``cases.precompiled.prepared``); nothing is prepared automatically, since a generic plan
      made for small studies can be far worse for a large one. ``DJANGO_DB_PREPARED_STATEMENTS=false`` binds
      on the client and prepares nothing, e.g. behind a PgBouncer older than 1.21 in transaction mode
      (docs/DEPLOY.md).
    * PostgreSQL compiles a query whose estimated cost is high to machine code first. For the consent query of
      a 100× study that took 370 ms of the 420 the query took (50 ms without). Our queries are bounded, so
      compiling never pays off; ``DJANGO_DB_JIT=true`` restores the server's setting.
    """
    if database["ENGINE"] != "django.db.backends.postgresql":
        return database
    options = database.setdefault("OPTIONS", {})
    if env.bool("DJANGO_DB_PREPARED_STATEMENTS", True):
        options.update(server_side_binding=True, prepare_threshold=None)
    if not env.bool("DJANGO_DB_JIT", False):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return database


DATABASES = {
    "default": postgresql_tuned(env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop trial: SQLite ignores the INCLUDE columns of the matrix's covering index (an index on PostgreSQL
    # only); the index still works there as a plain one. Not worth a warning on every `make run`.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "cases.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the user of each request with a precompiled query (config/auth.py).
    "config.auth.ModelBackend",
    # Only for sessions begun before config.auth existed (their stored backend path must stay listed);
    # config.auth.ModelBackend ends every failed log-in, so this one never hashes a password.
    # Removable one session lifetime (SESSION_COOKIE_AGE) after that release.
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # Argon2id with OWASP's parameters (config/hashers.py). It also checks hashes made with Django's heavier
    # defaults (Argon2 reads the parameters from the hash) and re-hashes them at the next log-in.
    "config.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: five failures lock the username from that address for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# The log-in form posts the e-mail address as "username"; axes would otherwise look for "email" (USERNAME_FIELD),
# find nothing, and lock an empty username – which the right password then slipped past.
AXES_USERNAME_FORM_FIELD = "username"

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "staticfiles")
# Uploaded files (approval letters, consent forms) and generated reports live
# outside the static root and are served only through permission-checked views.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Never served directly: no URL pattern maps it; files go through permission-checked views.
MEDIA_URL = "/media/"
# DJANGO_STORAGE=s3 puts uploaded files and generated reports in an S3-compatible bucket (several web and
# worker machines then share them); the local filesystem stays the default. Either way, files are read
# only through permission-checked views: objects are private and no bucket URL is ever handed out.
DJANGO_STORAGE = env.str("DJANGO_STORAGE", default="filesystem")
if DJANGO_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DJANGO_S3_BUCKET"),
            "endpoint_url": env.str("DJANGO_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("DJANGO_S3_REGION", default=None),
            "access_key": env.str("DJANGO_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("DJANGO_S3_SECRET_ACCESS_KEY", default=None),
            "location": env.str("DJANGO_S3_PREFIX", default=""),
            "default_acl": None,  # the bucket's policy (private) applies
            "querystring_auth": True,
            "file_overwrite": False,  # never replace an object: a clash gets a new name, as on disk
            "object_parameters": env.json("DJANGO_S3_OBJECT_PARAMETERS", default={}),
        },
    }
elif DJANGO_STORAGE == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DJANGO_STORAGE must be 'filesystem' or 's3', not {DJANGO_STORAGE!r}.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# One cache shared by every web process in production (redis://host:6379/1); a per-process memory cache otherwise.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"  # one client per pool, not one per call
# Sessions: read from a cache every web process shares (Redis, Memcached), written through to the database, which
# saves a query on every request. A per-process memory cache would let one process go on serving a session another
# process has ended (a log-out), so without a shared cache they are read from the database.
_SHARED_CACHE = any(name in CACHES["default"]["BACKEND"] for name in ("Redis", "Memcache", "PyLibMC"))
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if _SHARED_CACHE else 'db'}"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The largest file a user may attach (letters, forms); views check it with a clear message.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# The largest transcript or document a user may import as a codable source.
SOURCE_MAX_BYTES = env.int("SOURCE_MAX_BYTES", default=5 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Kasusstudie <noreply@localhost>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A working day: a laptop left open in a shared office does not stay logged in to the key list for weeks.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 12)
# The coding view's script reads the CSRF cookie as a fallback, so it cannot be HttpOnly; SameSite still applies.
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# No inline script or style anywhere: everything the pages run comes from /static/.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The key list (identity records) is encrypted at rest with Fernet keys from the
# environment. Several comma-separated keys allow rotation: the first encrypts.
IDENTITY_ENCRYPTION_KEYS = env.list("IDENTITY_ENCRYPTION_KEYS", default=[])

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="thesis")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# `make run` starts the worker with an embedded beat (-B), so the schedule runs without another process.
CELERY_BEAT_SCHEDULE = {
    # End-date reminders and end actions (anonymise/delete); idempotent, so a missed or doubled day is harmless.
    "study-lifecycle-daily": {"task": "cases.tasks.study_lifecycle_run", "schedule": crontab(hour=3, minute=15)},
    # Report jobs whose worker died (lease lapsed) or whose message was lost are enqueued again; a doubled
    # delivery is a no-op, so running it often is harmless.
    "reports-requeue-stalled": {"task": "cases.tasks.reports_requeue_stalled", "schedule": 60.0},
    # Read by /health/worker/: proves that beat schedules and that some worker runs what it schedules.
    "worker-heartbeat": {"task": "ops.tasks.worker_heartbeat", "schedule": 60.0},
}
# Beat must run in exactly one process per installation; on PostgreSQL a second one refuses to start (ops/beat.py).

# Health endpoints: a worker heartbeat older than this makes /health/worker/ answer 503; the broker check's timeout.
HEALTH_WORKER_MAX_AGE = env.int("HEALTH_WORKER_MAX_AGE", default=180)
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=2.0)

# How many times a report job may be attempted before it is marked failed, and how long a
# worker's claim on a running job holds without a heartbeat before another worker may take it.
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
REPORT_LEASE_SECONDS = env.int("REPORT_LEASE_SECONDS", default=120)
# A queued job older than this has probably lost its message (a broker flushed, a deploy); enqueue it again.
REPORT_REQUEUE_QUEUED_AFTER_SECONDS = env.int("REPORT_REQUEUE_QUEUED_AFTER_SECONDS", default=600)
# Tests only: dotted path of a callable(job=, stage=) run at fixed stages of a render
# ("claimed", "rendering", "writing") to make it slow or crash on purpose. Never set in production.
REPORT_RENDER_HOOK = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # At DEBUG these two write personal data: a missing template variable logs the whole context
        # (a transcript, a key-list entry), and SQL logs its parameters. They stay at INFO even when
        # DJANGO_LOG_LEVEL=DEBUG.
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
    },
}

# Study end: remind the owner this many days before the project end date.
STUDY_END_REMINDER_DAYS = env.int("STUDY_END_REMINDER_DAYS", default=30)
