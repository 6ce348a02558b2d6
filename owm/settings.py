"""OWM settings: one module, driven by environment variables.

The defaults are the embedded mode (SQLite, in-process channel layer and Celery
worker, offline planner) and are safe only for a developer's machine;
OWM_ENV=production refuses to start without a real secret and allowed hosts.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from owm.env import ConfigError, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OWM_VAR_DIR", str(BASE_DIR / "var")) or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

OWM_ENV = env_str("OWM_ENV", "development")
if OWM_ENV not in {"development", "production"}:
    raise ConfigError(f"OWM_ENV={OWM_ENV!r}: use development or production")
PRODUCTION = OWM_ENV == "production"


def _development_secret() -> str:
    # A per-checkout random key kept out of git: never a literal in code.
    path = VAR_DIR / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY")
if PRODUCTION:
    if not SECRET_KEY or len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure"):
        raise ConfigError("OWM_ENV=production needs SECRET_KEY (or SECRET_KEY_FILE), 32+ chars")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret()

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("OWM_ENV=production needs ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "channels",
    "apps.core",
    "apps.accounts",
    "apps.tools",
    "apps.agents",
    "apps.inventory",
    "apps.customerservice",
    "apps.datatools",
    "apps.notifications",
    "apps.rules",
    "apps.audit",
    "apps.rbac",
    "apps.workflows",
    "apps.webhooks",
    "apps.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.ContentSecurityPolicyMiddleware",
    "apps.core.db_unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "owm.urls"
WSGI_APPLICATION = "owm.wsgi.application"
ASGI_APPLICATION = "owm.asgi.application"

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
                "apps.core.context_processors.owm",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Health checks: a kept connection that the server dropped (a restart, a
    # failover) is replaced before its next request, task or tool call uses it
    # (one SELECT 1 each), instead of failing that first query.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "owm.sqlite3",
            "OPTIONS": {
                # WAL + IMMEDIATE transactions let the in-process worker and the
                # web server write at once without "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, channels, Celery ----------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
EMBEDDED = REDIS_URL is None
if PRODUCTION and EMBEDDED and not env_bool("OWM_ALLOW_EMBEDDED", False):
    raise ConfigError("OWM_ENV=production needs REDIS_URL (or OWM_ALLOW_EMBEDDED=true)")

if EMBEDDED:
    # channels' own in-memory layer, made to fan out to hundreds of clients
    CHANNEL_LAYERS = {"default": {"BACKEND": "apps.core.channel_layers.InMemoryChannelLayer"}}
else:
    # redis-py 8 reads with a 5 s socket timeout by default, exactly the 5 s a
    # channels-redis receive blocks in BZPOPMIN: every idle websocket consumer
    # died with "Timeout reading" (redis/redis-py#4091, django/channels_redis#422).
    # The read timeout must exceed that block; it still ends a read from a dead
    # peer. No retry here on purpose: when Redis restarts, a consumer should
    # fail, so that its client reconnects and joins the group again, rather than
    # reconnect silently into a Redis that forgot its group.
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's core layer whose pool waits for a free connection
            # instead of failing the 101st (hundreds of clients leaving at once)
            "BACKEND": "apps.core.channel_layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 5,
                    }
                ],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }

# Shared state (circuit breakers, login throttles, webhook rate limits) must be
# shared by every process: Redis when there is one.
if EMBEDDED:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    # A restarting Redis must not fail a run through its circuit breaker: each
    # cache command retries a refused or broken connection for about 12 s.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 15)},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ACKS_LATE = True
# With Redis, a task whose worker died (SIGKILL, OOM) is delivered again only
# after this many seconds; it must exceed the longest run (Agent.max_run_seconds,
# 600 by default), or a healthy long run could be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("OWM_CELERY_VISIBILITY_TIMEOUT", 900)
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each
# task unless this is set: each run paid a new PostgreSQL connection (a backend
# process forked, ~5 ms). Connections are kept instead and owm.celery checks
# them around each task as Django does around a request (CONN_MAX_AGE, errors).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis reconnects, however long it takes, and lets the runs
# it is executing finish (their state is in the database; their messages may be
# gone with a restarted Redis, which is what the run re-queue below is for).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Runs whose message was lost (Redis restarted without persistence, a publish
# while it was down, a killed worker) are queued again once no worker holds
# them and they have published no event for OWM_RUN_STALE_SECONDS
# (apps.agents.recovery); beat looks every OWM_RUN_REQUEUE_INTERVAL seconds.
OWM_RUN_STALE_SECONDS = env_int("OWM_RUN_STALE_SECONDS", 120)
OWM_RUN_REQUEUE_INTERVAL = env_int("OWM_RUN_REQUEUE_INTERVAL", 15)
# A run that was running when it was abandoned this many times (its worker died,
# or the database failed, every time it ran) is failed instead of re-queued
# again: each attempt costs model calls.
OWM_RUN_MAX_REQUEUES = env_int("OWM_RUN_MAX_REQUEUES", 5)
CELERY_TASK_ALWAYS_EAGER = env_bool("OWM_CELERY_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "expire-approvals": {"task": "apps.tools.tasks.approvals_expire_due", "schedule": 60.0},
    "workflows-due": {"task": "apps.workflows.tasks.workflows_due", "schedule": 5.0},
    "schedules-due": {"task": "apps.workflows.tasks.schedules_due", "schedule": 30.0},
    "webhook-deliveries-due": {"task": "apps.webhooks.tasks.deliveries_due", "schedule": 60.0},
    "rules-due": {"task": "apps.rules.tasks.rules_evaluate_due", "schedule": 60.0},
    "prune-revocations": {"task": "apps.accounts.tasks.revocations_prune_due", "schedule": 3600.0},
    "runs-recover": {
        "task": "apps.agents.tasks.runs_recover_due",
        "schedule": float(OWM_RUN_REQUEUE_INTERVAL),
    },
}
# Embedded mode: the ASGI server starts a Celery worker thread in its own process.
OWM_EMBEDDED_WORKER = env_bool("OWM_EMBEDDED_WORKER", EMBEDDED)
OWM_EMBEDDED_WORKER_CONCURRENCY = env_int("OWM_EMBEDDED_WORKER_CONCURRENCY", 4)

# --- LLM ------------------------------------------------------------------------
OWM_LLM_BASE_URL = env_str("OWM_LLM_BASE_URL")
OWM_LLM_API_KEY = env_str("OWM_LLM_API_KEY")
OWM_LLM_MODEL = env_str("OWM_LLM_MODEL", "kimi-k2-0905-preview")
OWM_LLM_TEMPERATURE = env_float("OWM_LLM_TEMPERATURE", 0.6)
OWM_LLM_MAX_TOKENS = env_int("OWM_LLM_MAX_TOKENS", 2048)
OWM_LLM_TIMEOUT = env_float("OWM_LLM_TIMEOUT", 60.0)
OWM_LLM_MAX_RETRIES = env_int("OWM_LLM_MAX_RETRIES", 3)
OWM_LLM_INPUT_PRICE = env_float("OWM_LLM_INPUT_PRICE", 0.0)  # USD per 1M prompt tokens
OWM_LLM_OUTPUT_PRICE = env_float("OWM_LLM_OUTPUT_PRICE", 0.0)  # USD per 1M completion tokens
OWM_LLM_CONCURRENCY = env_int("OWM_LLM_CONCURRENCY", 8)  # requests at once per process
OWM_BREAKER_THRESHOLD = env_int("OWM_BREAKER_THRESHOLD", 5)
OWM_BREAKER_COOLDOWN = env_int("OWM_BREAKER_COOLDOWN", 30)
# Limits per user and per run.
OWM_USER_RUNS_PER_MINUTE = env_int("OWM_USER_RUNS_PER_MINUTE", 30)
OWM_USER_CONCURRENT_RUNS = env_int("OWM_USER_CONCURRENT_RUNS", 5)
OWM_MAX_INVALID_TOOL_CALLS = env_int("OWM_MAX_INVALID_TOOL_CALLS", 3)
# Stream assistant text to the run page as it is generated.
OWM_LLM_STREAM = env_bool("OWM_LLM_STREAM", True)

# --- Tools ------------------------------------------------------------------------
OWM_TOOL_TIMEOUT = env_float("OWM_TOOL_TIMEOUT", 30.0)
# "thread" runs each tool in a worker thread so a hung tool times out;
# "inline" runs it in the caller's thread (used by tests inside one transaction).
OWM_TOOL_ISOLATION = env_str("OWM_TOOL_ISOLATION", "thread")
if OWM_TOOL_ISOLATION not in {"thread", "inline"}:
    raise ConfigError("OWM_TOOL_ISOLATION must be thread or inline")
OWM_TOOL_RESULT_MAX_CHARS = env_int("OWM_TOOL_RESULT_MAX_CHARS", 20000)
# A gated call nobody decided on within this many seconds expires.
OWM_APPROVAL_TTL = env_int("OWM_APPROVAL_TTL", 24 * 60 * 60)

# --- Files and e-mail -------------------------------------------------------------
# Reports and uploads: private files, served only through authenticated views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")) or "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "sent-mail"  # the embedded mode's "outbox"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "owm@localhost")
OWM_PUBLIC_URL = env_str("OWM_PUBLIC_URL", "")
# Bearer token for Prometheus scrapes of /metrics (staff sessions may always read it).
OWM_METRICS_TOKEN = env_str("OWM_METRICS_TOKEN", "")
OWM_WEATHER_URL = env_str("OWM_WEATHER_URL", "https://api.open-meteo.com/v1/forecast")
OWM_GEOCODING_URL = env_str("OWM_GEOCODING_URL", "https://geocoding-api.open-meteo.com/v1/search")
# Every tool call is checked by this policy (deny by default): roles x tools grants.
OWM_TOOL_POLICY = env_str("OWM_TOOL_POLICY", "apps.rbac.policy.rbac_policy")

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "login"

OWM_JWT_ISSUER = env_str("OWM_JWT_ISSUER", "owm")
OWM_JWT_AUDIENCE = env_str("OWM_JWT_AUDIENCE", "owm-api")
OWM_JWT_ACCESS_TTL = env_int("OWM_JWT_ACCESS_TTL", 15 * 60)
OWM_JWT_REFRESH_TTL = env_int("OWM_JWT_REFRESH_TTL", 24 * 60 * 60)
# Signing key for HS256; defaults to a key derived from SECRET_KEY.
OWM_JWT_SECRET = env_str("OWM_JWT_SECRET") or f"owm-jwt:{SECRET_KEY}"
# Key set for rotation: JSON list of {kid, alg HS256|RS256|EdDSA, secret | private_key(_file)
# / public_key(_file), verify_only}; empty = one HS256 key "owm-1" from OWM_JWT_SECRET.
OWM_JWT_KEYS = env_str("OWM_JWT_KEYS", "")
OWM_JWT_ACTIVE_KID = env_str("OWM_JWT_ACTIVE_KID")
OWM_LOGIN_MAX_FAILURES = env_int("OWM_LOGIN_MAX_FAILURES", 5)
OWM_LOGIN_MAX_FAILURES_PER_IP = env_int("OWM_LOGIN_MAX_FAILURES_PER_IP", OWM_LOGIN_MAX_FAILURES)
OWM_LOGIN_LOCKOUT_SECONDS = env_int("OWM_LOGIN_LOCKOUT_SECONDS", 900)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.JWTAuthentication",
        "apps.accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("OWM_AUTH_THROTTLE", "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OWM API",
    "DESCRIPTION": "Run tool-calling agents, invoke tools, inspect runs.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "apps.agents.models.Run.Status",
        "ToolCallStatusEnum": "apps.tools.models.ToolCall.Status",
    },
}

# --- i18n, static -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG  # development serves straight from static/
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security headers -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
