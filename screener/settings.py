"""Settings for the cytokine trial screener, read from the environment.

Every value has a development default so `make run` works on a bare machine (SQLite, an
embedded Celery broker on the filesystem). Production sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, ALLOWED_HOSTS and DEBUG=false. Bad values stop start-up (see screener/env.py).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from screener.env import env_bool, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SCREENER_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_celery_beat",
    "simple_history",
    "axes",
    "trials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "screener.urls"
WSGI_APPLICATION = "screener.wsgi.application"

TEMPLATES = [
    # The public pages (templates/jinja2): Jinja2 renders them in about 60% of the time
    # Django templates took (the results page, 20 trials). Listed first, so their names
    # are looked up here first.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "screener.jinja2.environment",
            "context_processors": ["trials.context_processors.registry_freshness"],
        },
    },
    # The admin, DRF and drf-spectacular templates, the project's and the packages'.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# Connections are kept for DB_CONN_MAX_AGE seconds on every database: a new one per request
# costs a PostgreSQL handshake, and on SQLite a cold page cache for every screen.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    _db = dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    )
except ValueError as exc:  # dj-database-url raises ValueError on unknown schemes
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from exc
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # A busy timeout lets the web process and the worker share the SQLite file without
    # "database is locked" errors during a sync's page commits.
    _db.setdefault("OPTIONS", {}).update(
        timeout=env_int("SQLITE_TIMEOUT", 30, minimum=1),
        # WAL lets pages be read while the worker commits a sync page; IMMEDIATE takes the
        # write lock up front instead of failing on a lock upgrade mid-transaction.
        init_command="PRAGMA journal_mode=WAL;",
        transaction_mode="IMMEDIATE",
    )
DATABASES = {"default": _db}
IS_POSTGRES = _db["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    INSTALLED_APPS.append("django.contrib.postgres")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # django-axes first so a locked-out client is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

# --- Security -----------------------------------------------------------------------
# "same-origin": other sites (the registry links) get no referrer, and our own form POSTs
# keep their Origin ("no-referrer" makes Chromium send "Origin: null", which CSRF refuses).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): our own origin only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ADMIN_URL = env_str("ADMIN_URL", "admin/").strip("/") + "/"

# django-axes: lock a username+IP pair out after repeated failed admin logins.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 1.0, minimum=0.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its start-up banner is noise in every command's output

# --- Registry -----------------------------------------------------------------------
CTGOV_API_BASE = env_url("CTGOV_API_BASE", "https://clinicaltrials.gov/api/v2")
# Connect and read timeouts (seconds) for registry calls: a page of 1000 full records can
# take tens of seconds to stream, connecting should not.
CTGOV_CONNECT_TIMEOUT = env_float("CTGOV_CONNECT_TIMEOUT", 10.0, minimum=0.1)
CTGOV_READ_TIMEOUT = env_float("CTGOV_READ_TIMEOUT", 120.0, minimum=0.1)
# The registry asks clients to stay near 50 requests a minute.
CTGOV_REQUESTS_PER_MINUTE = env_float("CTGOV_REQUESTS_PER_MINUTE", 50.0, minimum=0.0)
# Bounded retries for 429/5xx/timeouts: five tries with exponential backoff span about
# a minute, long enough for a registry hiccup, short enough to fail a run visibly.
CTGOV_MAX_RETRIES = env_int("CTGOV_MAX_RETRIES", 5, minimum=0, maximum=20)
CTGOV_BACKOFF_FACTOR = env_float("CTGOV_BACKOFF_FACTOR", 1.0, minimum=0.0)
CTGOV_PAGE_SIZE = env_int("CTGOV_PAGE_SIZE", 1000, minimum=1, maximum=1000)
# A running sync that has committed nothing for this long is taken to be dead and resumed
# by the next start: ten minutes is several times the slowest page with all its retries.
SYNC_STALE_AFTER_SECONDS = env_int("SYNC_STALE_AFTER_SECONDS", 600, minimum=1)

# --- Celery -------------------------------------------------------------------------
# Default broker: kombu's filesystem transport, which needs no server, so a real worker
# and beat run on a bare machine. Production: redis:// or amqp://.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True  # tasks report through SyncRun rows, not a result store
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message to redeliver
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long sync tasks: do not hoard messages
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# The schedule lives in the database (django-celery-beat), editable in the admin. It is
# deliberately not in CELERY_BEAT_SCHEDULE, which the scheduler would re-apply over admin
# edits at every beat start; migration 0002 creates the default entry below.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
SYNC_SCHEDULE_NAME = "sync-registry-daily"
# The registry refreshes its data on weekdays by about 14:00 UTC; sync an hour later.
SYNC_SCHEDULE_HOUR = env_int("SYNC_SCHEDULE_HOUR", 15, minimum=0, maximum=23)
SYNC_SCHEDULE_MINUTE = env_int("SYNC_SCHEDULE_MINUTE", 0, minimum=0, maximum=59)

# --- API ----------------------------------------------------------------------------
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "120/minute")
_throttle_off = API_THROTTLE_RATE.lower() == "off"
if not _throttle_off:
    _count, _, _period = API_THROTTLE_RATE.partition("/")
    if not _count.isdigit() or _period not in {
        "second",
        "minute",
        "hour",
        "day",
        "s",
        "m",
        "h",
        "d",
    }:
        raise ImproperlyConfigured(
            f"API_THROTTLE_RATE={API_THROTTLE_RATE!r} must look like 120/minute, or be 'off'."
        )

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth whose failed logins django-axes always counts (see the module).
        "trials.api.authentication.HeaderBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": []
    if _throttle_off
    else ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": None if _throttle_off else API_THROTTLE_RATE},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cytokine trial screener API",
    "DESCRIPTION": (
        "Interleukin and interferon trials from ClinicalTrials.gov, with their listed "
        "criteria read into facets. Screening verdicts are not medical advice: only a "
        "trial's team decides eligibility, and the registry listing is the authority."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc assets from drf-spectacular-sidecar's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Request lines are not logged by Django itself; POST bodies (answers) never are.
}
