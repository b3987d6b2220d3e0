"""Optout settings: read from the environment only here, with safe embedded defaults.

An empty variable counts as unset, so `FOO=` in a unit file never crashes start-up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# "" means unset: django-environ would otherwise parse it (int: ValueError, db: {}).
env.ENVIRON = {name: value for name, value in os.environ.items() if value.strip()}

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f"}


def env_bool(name: str, *, default: bool) -> bool:
    """A boolean that must be spelled like one: "flase" fails instead of reading as False."""
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


if env_bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"))
    env.ENVIRON = {name: value for name, value in os.environ.items() if value.strip()}

DEBUG = env_bool("DJANGO_DEBUG", default=False)
TESTING = "pytest" in sys.modules or env_bool("OPTOUT_TESTING", default=False)
# Plain-HTTP local use (make run, the test suite): HTTPS-only settings default off.
LOCAL = DEBUG or TESTING

# A development key only where it cannot leak into production: debug or the test suite.
_DEV_SECRET_KEY = "django-insecure-optout-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG or TESTING else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY to a long random string "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set DJANGO_DEBUG=true for local development."
    )
# Old keys stay valid for reading signed tokens after a rotation.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "lists",
    "consent",
    "preferences",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# Database: SQLite (embedded) unless DATABASE_URL names another one.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'optout.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Concurrent writers wait for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("OPTOUT_SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # psycopg prepares the few statements consent.statements binds on the server (Django's
    # own queries bind on the client and are never prepared). Turn it off behind a pooler
    # in transaction mode that does not keep prepared statements (PgBouncer before 1.21, or
    # without max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", 5 if env_bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by every process: rate limits and blocks must hold across workers.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://optout_cache")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("es", _("Spanish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Serve collected files straight from the finders when nobody ran collectstatic (make run).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Locally, files are looked up per request: edits show at once, no collectstatic needed.
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Security headers. HTTPS settings default on in production, off for local HTTP.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not LOCAL)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", default=not LOCAL)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", default=not LOCAL)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if LOCAL else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not LOCAL
)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=not LOCAL)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The TLS-terminating proxy says the original scheme; trusted only when configured.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: no inline script anywhere, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https:"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Logging: one line per record to stderr; addresses never appear in our own messages.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes announces itself on every start; keep its warnings (lockouts) only.
    # aiosmtpd logs every envelope address at INFO: keep addresses out of our logs.
    "loggers": {"axes": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}

# Celery: with no broker, tasks run in-process (eagerly) once the transaction commits.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The outbox safety net: whatever is due (new, retrying, or lost by the broker) goes again.
    "sweep-webhooks": {
        "task": "consent.tasks.sweep_webhooks",
        "schedule": env.float("OPTOUT_WEBHOOK_SWEEP_SECONDS", default=30.0),
    },
    # Daily digest of mailers that have not fetched an opt-out within the list's deadline.
    "honouring-digest": {
        "task": "consent.send_honouring_digests",
        "schedule": crontab(hour=env.int("OPTOUT_DIGEST_HOUR", default=7), minute=0),
    },
}

# Django REST framework: errors carry a stable code; no proxy is trusted unless configured.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Optout mailer API",
    "DESCRIPTION": "Report opt-outs, fetch service links and download suppression lists.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# django-axes: brute-force protection on admin and portal logins.
AXES_FAILURE_LIMIT = env.int("OPTOUT_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("OPTOUT_LOGIN_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("OPTOUT_LOGIN_THROTTLE", default=True)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="optout@localhost")

# Optout's own settings.
OPTOUT_PUBLIC_URL = env.str("OPTOUT_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Domain of the mailto unsubscribe address: unsubscribe+<token>@<domain>.
OPTOUT_MAILTO_DOMAIN = env.str("OPTOUT_MAILTO_DOMAIN", default="")
OPTOUT_MAILTO_LOCAL_PART = env.str("OPTOUT_MAILTO_LOCAL_PART", default="unsubscribe")
# Reverse proxies whose X-Forwarded-For is believed (CIDRs); nobody by default.
OPTOUT_TRUSTED_PROXIES = env.list("OPTOUT_TRUSTED_PROXIES", default=[])
OPTOUT_HOSTED_PAGE_RATE = env.str("OPTOUT_HOSTED_PAGE_RATE", default="10/m")
OPTOUT_DOWNLOAD_CHUNK_ROWS = env.int("OPTOUT_DOWNLOAD_CHUNK_ROWS", default=5000)
# Bytes of whole lines per write of a suppression download on PostgreSQL (read by COPY).
OPTOUT_DOWNLOAD_BLOCK_BYTES = env.int("OPTOUT_DOWNLOAD_BLOCK_BYTES", default=256 * 1024)
# Built-in bench view; never routed unless asked for.
OPTOUT_BENCH_VIEWS = env_bool("OPTOUT_BENCH_VIEWS", default=False)
# Default opt-out honouring deadline of a new list, in hours (each list may change it).
OPTOUT_HONOUR_DEADLINE_HOURS = env.int("OPTOUT_HONOUR_DEADLINE_HOURS", default=48)

# Imports of unsubscribed addresses from other ESPs.
OPTOUT_IMPORT_CHUNK_ROWS = env.int("OPTOUT_IMPORT_CHUNK_ROWS", default=5000)
OPTOUT_IMPORT_REPORTED_ERRORS = env.int("OPTOUT_IMPORT_REPORTED_ERRORS", default=100)
# work_mem and temp_buffers of the import's own session: its sorts, hash joins and staging
# table stay in memory up to this size (PostgreSQL only).
OPTOUT_IMPORT_SESSION_MEMORY = env.str("OPTOUT_IMPORT_SESSION_MEMORY", default="256MB")

# Outbound webhooks (Standard Webhooks). Seconds to wait before each retry after a failure:
# 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h, 24 h, about three days in all.
OPTOUT_WEBHOOK_RETRY_SCHEDULE = [
    int(seconds)
    for seconds in env.list(
        "OPTOUT_WEBHOOK_RETRY_SCHEDULE",
        default=["60", "300", "1800", "7200", "21600", "43200", "86400", "86400"],
    )
]
OPTOUT_WEBHOOK_TIMEOUT = env.float("OPTOUT_WEBHOOK_TIMEOUT", default=10.0)
# How long an attempt holds its row before the sweep may try it again (a crashed worker).
OPTOUT_WEBHOOK_LEASE_SECONDS = env.int("OPTOUT_WEBHOOK_LEASE_SECONDS", default=120)
OPTOUT_WEBHOOK_SWEEP_BATCH = env.int("OPTOUT_WEBHOOK_SWEEP_BATCH", default=500)

# Mailer API (issue 6): batch limits, request size, per-key rate, allowlist refusals.
OPTOUT_API_KEY_RATE = env.str("OPTOUT_API_KEY_RATE", default="600/m")
OPTOUT_API_MAX_BODY_BYTES = env.int("OPTOUT_API_MAX_BODY_BYTES", default=16 * 1024 * 1024)
# Django refuses bodies past its own 2.5 MB first: a scrub of 100,000 addresses is ~3 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(OPTOUT_API_MAX_BODY_BYTES, 2_621_440)
OPTOUT_LINKS_BATCH_MAX = env.int("OPTOUT_LINKS_BATCH_MAX", default=1000)
OPTOUT_REPORT_BATCH_MAX = env.int("OPTOUT_REPORT_BATCH_MAX", default=10_000)
OPTOUT_SCRUB_BATCH_MAX = env.int("OPTOUT_SCRUB_BATCH_MAX", default=100_000)
# Rows per lookup query in scrub and reports (SQLite allows 32,766 parameters per query).
OPTOUT_LOOKUP_CHUNK_ROWS = env.int("OPTOUT_LOOKUP_CHUNK_ROWS", default=5000)
# An address refused this many times within the window is blocked for OPTOUT_BLOCK_MINUTES.
OPTOUT_REFUSALS_BEFORE_BLOCK = env.int("OPTOUT_REFUSALS_BEFORE_BLOCK", default=5)
OPTOUT_REFUSAL_WINDOW_MINUTES = env.int("OPTOUT_REFUSAL_WINDOW_MINUTES", default=10)
OPTOUT_BLOCK_MINUTES = env.int("OPTOUT_BLOCK_MINUTES", default=60)
# last_used_at is written at most this often per key, not on every request.
OPTOUT_API_KEY_TOUCH_SECONDS = env.int("OPTOUT_API_KEY_TOUCH_SECONDS", default=60)

# Journey platforms (customer-managed consent): decrypt calls, retries, and the sweep.
OPTOUT_JOURNEY_TIMEOUT_SECONDS = env.float("OPTOUT_JOURNEY_TIMEOUT_SECONDS", default=10.0)
# Attempts before a pending opt-out is marked failed (it stays in admin with a retry action).
OPTOUT_JOURNEY_MAX_ATTEMPTS = env.int("OPTOUT_JOURNEY_MAX_ATTEMPTS", default=10)
# Backoff: base * 2 ** (attempt - 1) seconds, capped.
OPTOUT_JOURNEY_RETRY_BASE_SECONDS = env.int("OPTOUT_JOURNEY_RETRY_BASE_SECONDS", default=30)
OPTOUT_JOURNEY_RETRY_MAX_SECONDS = env.int("OPTOUT_JOURNEY_RETRY_MAX_SECONDS", default=3600)
# A cached bearer token is dropped this long before the platform says it expires.
OPTOUT_JOURNEY_TOKEN_MARGIN_SECONDS = env.int("OPTOUT_JOURNEY_TOKEN_MARGIN_SECONDS", default=300)
# How often beat re-queues due rows, and how many per run.
OPTOUT_JOURNEY_SWEEP_SECONDS = env.int("OPTOUT_JOURNEY_SWEEP_SECONDS", default=60)
OPTOUT_JOURNEY_SWEEP_BATCH = env.int("OPTOUT_JOURNEY_SWEEP_BATCH", default=500)
# How long a claimed row is left to the worker that claimed it (a lease) before the sweep
# may take it again; without a broker, how long a fresh row waits for the sweep.
OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS = env.int("OPTOUT_JOURNEY_SWEEP_GRACE_SECONDS", default=120)
# With a broker, receipts wake a worker at most once per this many seconds and process, not
# once per request; the woken task takes every row received in the meantime.
OPTOUT_JOURNEY_WAKE_SECONDS = env.float("OPTOUT_JOURNEY_WAKE_SECONDS", default=1.0)
# Longest params / pid / emailParams accepted; longer ones are refused with 400.
OPTOUT_JOURNEY_PARAM_MAX_LENGTH = env.int("OPTOUT_JOURNEY_PARAM_MAX_LENGTH", default=4096)
# Reports (issue 10): events are folded into daily counts by beat every so many seconds; a
# report adds the events not folded yet, unless there are more than the limit (the fold is
# behind, e.g. beat is not running), when it counts the events themselves.
OPTOUT_ROLLUP_REFRESH_SECONDS = env.float("OPTOUT_ROLLUP_REFRESH_SECONDS", default=60.0)
OPTOUT_ROLLUP_LIVE_LIMIT = env.int("OPTOUT_ROLLUP_LIVE_LIMIT", default=20_000)
# How long a fold waits for transactions open when it looked to end, before leaving the
# newest events to the next run; and the margin used when other roles' sessions are hidden.
OPTOUT_ROLLUP_SETTLE_WAIT_SECONDS = env.float("OPTOUT_ROLLUP_SETTLE_WAIT_SECONDS", default=2.0)
OPTOUT_ROLLUP_SETTLE_MARGIN_SECONDS = env.int("OPTOUT_ROLLUP_SETTLE_MARGIN_SECONDS", default=600)
# Events per page of the evidence page (the exports always hold every event).
OPTOUT_EVIDENCE_PAGE_SIZE = env.int("OPTOUT_EVIDENCE_PAGE_SIZE", default=25)
CELERY_BEAT_SCHEDULE["refresh-event-rollup"] = {
    "task": "consent.tasks.refresh_event_rollup",
    "schedule": OPTOUT_ROLLUP_REFRESH_SECONDS,
}
CELERY_BEAT_SCHEDULE["retry-journey-opt-outs"] = {
    "task": "consent.tasks.retry_due_journey_requests",
    "schedule": float(OPTOUT_JOURNEY_SWEEP_SECONDS),
}
# One-click with a broker: the request stores a receipt and wakes a worker at most once per
# this many seconds and process; beat's sweep applies what a lost wake-up left behind.
OPTOUT_ONE_CLICK_WAKE_SECONDS = env.float("OPTOUT_ONE_CLICK_WAKE_SECONDS", default=1.0)
OPTOUT_ONE_CLICK_SWEEP_SECONDS = env.float("OPTOUT_ONE_CLICK_SWEEP_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE["apply-one-click-receipts"] = {
    "task": "consent.tasks.apply_one_click_receipts",
    "schedule": OPTOUT_ONE_CLICK_SWEEP_SECONDS,
}

# Our own encrypted link parameters (?params=…&pid=… to a brand's landing page). Secrets,
# newest first: the first encrypts, all decrypt, so a key is rotated by prepending a new one.
# Empty: derived from SECRET_KEY and SECRET_KEY_FALLBACKS.
OPTOUT_LINK_KEYS = env.list("OPTOUT_LINK_KEYS", default=[])
# Maximum age of encrypted link parameters in days; 0 means they never expire.
OPTOUT_LINK_MAX_AGE_DAYS = env.int("OPTOUT_LINK_MAX_AGE_DAYS", default=0)
