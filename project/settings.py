"""Sensorium settings, read from the environment (and `.env` when present).

With nothing set this is the embedded default: SQLite in WAL mode under `var/`,
Channels' in-memory layer, Celery tasks run eagerly. Setting `DATABASE_URL`,
`REDIS_URL` and `CELERY_BROKER_URL` switches to the services stack. Every variable is
listed, with its default, in README.md and `.env.example`.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Read after .env so that a VAR_DIR set there is honoured.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or .env (DEBUG=1 allows a dev key)."
        )
    SECRET_KEY = "dev-only-key-never-used-with-debug-off-" + "x" * 20

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "core",
    "users",
    "sensors",
    "telemetry",
    "products",
    "dashboards",
    "workers",
]

MIDDLEWARE = [
    "core.middleware.RequestMetricsMiddleware",
    "core.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
WSGI_APPLICATION = None

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

AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = None  # LogoutView then shows registration/logged_out.html
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database ---------------------------------------------------------------------
# PostgreSQL uses psycopg 3's connection pool; under ASGI a persistent connection per
# thread (CONN_MAX_AGE) leaks connections, so the pool is the only reuse.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sensorium.sqlite3'}")
}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DATABASE_IS_POSTGRES:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=1),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so test servers in subprocesses (Daphne, Celery) share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

# --- Cache, channel layer, Celery --------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sensorium",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": 1000,
                "expiry": 10,
                "group_expiry": 86400,
                "prefix": "sensorium",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "expiry": 10},
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
# Tasks without a route go here; workers consume it unless started with other `-Q` names.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
# visibility_timeout (Redis broker) must exceed the longest task; confirm_publish makes
# RabbitMQ confirm every publish before .delay() returns, so an acknowledged batch is on
# the broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "confirm_publish": True}
CELERY_TIMEZONE = "UTC"
# Each area adds its own routes and schedules in its section at the end of this file
# with CELERY_TASK_ROUTES.update(...) / CELERY_BEAT_SCHEDULE.update(...).
CELERY_TASK_ROUTES: dict = {}
CELERY_BEAT_SCHEDULE: dict = {}
# Each worker writes a heartbeat into the cache this often; /status calls a worker dead
# after WORKER_HEARTBEAT_STALE_S without one.
WORKER_HEARTBEAT_INTERVAL_S = env.float("WORKER_HEARTBEAT_INTERVAL_S", default=10.0)
WORKER_HEARTBEAT_STALE_S = env.float("WORKER_HEARTBEAT_STALE_S", default=30.0)
WORKER_HEARTBEAT_FORGET_S = 3600

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login_failures": env.str("LOGIN_FAILURE_RATE", default="5/min"),
    },
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sensorium API",
    "DESCRIPTION": (
        "Telemetry from field devices: sensor registry, ingest, time-series queries, "
        "live streams, commands, blink tracking and product inventory."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI's files come from drf-spectacular-sidecar, so /docs works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.error_responses_document",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SensorStatusEnum": "sensors.models.SensorStatus",
        "ProductStatusEnum": "products.models.ProductStatus",
        "ProductEventSourceEnum": "products.models.ProductEventSource",
        "ProductCommandSourceEnum": "products.serializers.COMMAND_SOURCES",
        "ExportKindEnum": "telemetry.models.ExportKind",
        "ExportStatusEnum": "telemetry.models.ExportStatus",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# Bodies above this are refused before parsing (ingest accepts 4 MB batches).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=4 * 1024 * 1024)

# --- Static files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

# --- Security ------------------------------------------------------------------------
# SECURE_HTTPS defaults on whenever DEBUG is off: production sits behind TLS.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^status$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging -------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# LOGGING (JSON to stdout and a rotating file) is set in the Wellness: structured logs section.

# --- Sensorium -------------------------------------------------------------------------
BLUETOOTH_SCAN_TIMEOUT = env.float("BLUETOOTH_SCAN_TIMEOUT", default=10.0)
BLUETOOTH_RECONNECT_ATTEMPTS = env.int("BLUETOOTH_RECONNECT_ATTEMPTS", default=3)
BLUETOOTH_MAX_CONNECTIONS = env.int("BLUETOOTH_MAX_CONNECTIONS", default=5)
# /metrics is open by default (Prometheus scrapes without credentials); set a token to
# require `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Telemetry storage and ingest ------------------------------------------------------
# Readings are written by one task on its own queue: run workers with `-Q telemetry,celery`.
CELERY_TASK_ROUTES.update({"workers.tasks.readings.readings_write_batch": {"queue": "telemetry"}})
# Days of readings kept, per device type: partitions are dropped past the longest type a table
# holds; shorter-lived types' metric readings are deleted inside them (README: Retention).
TELEMETRY_RETENTION_DAYS = {
    "imu": env.int("TELEMETRY_RETENTION_IMU_DAYS", default=30),
    "energy_meter": env.int("TELEMETRY_RETENTION_ENERGY_METER_DAYS", default=730),
    "eye_tracker": env.int("TELEMETRY_RETENTION_EYE_TRACKER_DAYS", default=365),
    "environment": env.int("TELEMETRY_RETENTION_ENVIRONMENT_DAYS", default=365),
    "other": env.int("TELEMETRY_RETENTION_OTHER_DAYS", default=365),
}
# A device token's sensor is remembered this long by each web process (rotation and
# deactivation take effect within it).
TELEMETRY_DEVICE_TOKEN_CACHE_S = env.float("TELEMETRY_DEVICE_TOKEN_CACHE_S", default=30.0)
TELEMETRY_PARTITIONS_AHEAD_DAYS = env.int("TELEMETRY_PARTITIONS_AHEAD_DAYS", default=7)
TELEMETRY_COMPRESS_AFTER_DAYS = env.int("TELEMETRY_COMPRESS_AFTER_DAYS", default=7)
CELERY_BEAT_SCHEDULE.update({
    "telemetry-partitions-ensure": {"task": "workers.tasks.maintenance.partitions_ensure_task",
                                    "schedule": timedelta(hours=1)},
    "telemetry-retention-apply": {"task": "workers.tasks.maintenance.retention_apply_task",
                                  "schedule": timedelta(hours=6)},
})

# --- Telemetry queries and rollups ------------------------------------------------------
# Metrics summed per hour by the rollup behind daily totals (GET /api/v1/data/{id}/daily, days
# in any time zone); other metrics are summed live from the readings.
TELEMETRY_DAILY_TOTAL_METRICS = env.list("TELEMETRY_DAILY_TOTAL_METRICS", default=["energy_kwh"])
# Each refresh rebuilds this many UTC days before today, so readings arriving that late still count.
TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS = env.int("TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS", default=2)
CELERY_BEAT_SCHEDULE.update({
    "telemetry-daily-totals-refresh": {"task": "workers.tasks.rollups.daily_totals_refresh_task",
                                       "schedule": timedelta(minutes=15)},
})

# --- BLE -------------------------------------------------------------------------------
# bleak: the real adapter. fake: the simulated radio, on which the sensors with simulated MAC
# addresses (02:5E:00:00:xx:xx, as `ble_listen --fake` registers them) are present.
BLUETOOTH_BACKEND = env.str("BLUETOOTH_BACKEND", default="bleak")
if BLUETOOTH_BACKEND not in ("bleak", "fake"):
    raise ImproperlyConfigured(f"BLUETOOTH_BACKEND must be 'bleak' or 'fake', not {BLUETOOTH_BACKEND!r}.")
BLUETOOTH_COLLECT_MAX_SECONDS = env.int("BLUETOOTH_COLLECT_MAX_SECONDS", default=300)
# Collect jobs need the radio: run a worker with `-Q ble` on the gateway machine.
CELERY_TASK_ROUTES.update({"workers.tasks.ble.collect_job_run": {"queue": "ble"}})

# --- Live telemetry (device gateway, viewer streams, commands) -----------------------
# Redis pub/sub carries group messages with one PUBLISH per frame instead of a write per
# member, publishes sharing round trips (core/channel_layers.py); LIVE_CHANNEL_LAYER=core
# keeps channels_redis' list-based layer.
LIVE_CHANNEL_LAYER = env.str("LIVE_CHANNEL_LAYER", default="pubsub")
if REDIS_URL and LIVE_CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS["default"] = {
        "BACKEND": "core.channel_layers.PipelinedPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "sensorium"},
    }
DEVICE_AUTH_TIMEOUT = env.float("DEVICE_AUTH_TIMEOUT", default=10.0)
DEVICE_PING_INTERVAL = env.float("DEVICE_PING_INTERVAL", default=20.0)
DEVICE_IDLE_TIMEOUT = env.float("DEVICE_IDLE_TIMEOUT", default=60.0)
# Frames of one device broadcast but not yet acked (hand-over pending); past it the socket is not read.
DEVICE_MAX_UNACKED_FRAMES = env.int("DEVICE_MAX_UNACKED_FRAMES", default=256)
# last_message_at is written at most this often per device (not per frame).
DEVICE_PRESENCE_WRITE_INTERVAL = env.float("DEVICE_PRESENCE_WRITE_INTERVAL", default=5.0)
# The sweep marks offline a device silent this long (its server process may have died).
DEVICE_OFFLINE_AFTER = env.float("DEVICE_OFFLINE_AFTER", default=90.0)
LIVE_VIEWER_QUEUE = env.int("LIVE_VIEWER_QUEUE", default=256)
# Bytes a viewer's socket may hold unsent before its frames wait (and the oldest drop) in its queue.
LIVE_VIEWER_SEND_BUFFER_BYTES = env.int("LIVE_VIEWER_SEND_BUFFER_BYTES", default=256 * 1024)
LIVE_VIEWER_MAX_FPS = env.float("LIVE_VIEWER_MAX_FPS", default=60.0)
COMMAND_DEFAULT_TTL = env.int("COMMAND_DEFAULT_TTL", default=300)
COMMAND_MAX_TTL = env.int("COMMAND_MAX_TTL", default=7 * 24 * 3600)
CELERY_BEAT_SCHEDULE.update({
    "presence-sweep": {"task": "workers.tasks.presence.presence_sweep_task", "schedule": 15.0},
    "commands-expire": {"task": "workers.tasks.presence.commands_expire_task", "schedule": 60.0},
})

# --- Wellness: S3 archival and exports --------------------------------------------------
# Empty S3_ENDPOINT_URL means AWS; a bucket left empty turns that archival off (/status says so).
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="")
S3_REGION = env.str("S3_REGION", default="us-east-1")
S3_ACCESS_KEY_ID = env.str("S3_ACCESS_KEY_ID", default="")
S3_SECRET_ACCESS_KEY = env.str("S3_SECRET_ACCESS_KEY", default="")
S3_BUCKET_DATA = env.str("S3_BUCKET_DATA", default="")
S3_BUCKET_LOGS = env.str("S3_BUCKET_LOGS", default="")
S3_TIMEOUT_S = env.float("S3_TIMEOUT_S", default=5.0)
S3_PRESIGN_EXPIRES_S = env.int("S3_PRESIGN_EXPIRES_S", default=3600)
# An upload that finds S3 unreachable is retried this many times, backing off from
# S3_RETRY_BACKOFF_S (doubling, at most 10 minutes); then its job fails with the reason.
S3_MAX_RETRIES = env.int("S3_MAX_RETRIES", default=5)
S3_RETRY_BACKOFF_S = env.float("S3_RETRY_BACKOFF_S", default=10.0)
CELERY_BEAT_SCHEDULE.update({
    "wellness-blinks-export-daily": {"task": "workers.tasks.storage.blinks_export_daily",
                                     "schedule": crontab(hour=0, minute=30)},
    "wellness-logs-upload": {"task": "workers.tasks.storage.logs_upload", "schedule": timedelta(hours=1)},
})

# --- Wellness: structured logs ----------------------------------------------------------
# JSON lines (request id, user, sensor, task id where known) to stdout and to a rotating
# file under var/log/, one file per program (daphne.log, celery.log, manage.log…) so
# different programs never rotate each other's file. Rotated files (<name>.log.1, …) are
# uploaded to S3_BUCKET_LOGS hourly and then removed.
LOG_DIR = Path(env.str("LOG_DIR", default=str(VAR_DIR / "log")))
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}.")
LOG_FILE_MAX_BYTES = env.int("LOG_FILE_MAX_BYTES", default=10 * 1024 * 1024)
LOG_FILE_BACKUPS = env.int("LOG_FILE_BACKUPS", default=5)
_program = "".join(ch for ch in Path(sys.argv[0] if sys.argv and sys.argv[0] else "sensorium").stem
                   if ch.isalnum() or ch in "-_") or "sensorium"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT},
        "file": {"class": "logging.handlers.RotatingFileHandler", "filename": str(LOG_DIR / f"{_program}.log"),
                 "maxBytes": LOG_FILE_MAX_BYTES, "backupCount": LOG_FILE_BACKUPS, "encoding": "utf-8",
                 "delay": True, "formatter": "json"},
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Workers log through the configuration above (JSON, with the task id) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
MIDDLEWARE.insert(0, "core.logs.RequestContextMiddleware")
