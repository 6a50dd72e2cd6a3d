"""Redis (cache and channel layer) and Celery (broker, queues, routes, the beat schedule).

Without REDIS_URL the cache and the channel layer live in process memory; without
CELERY_BROKER_URL tasks run eagerly in the caller.
"""

from datetime import timedelta

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from .alerts import ALERTS_SILENCE_CHECK_INTERVAL_S
from .environment import env

REDIS_URL = env.str("REDIS_URL", default="")

# --- Cache ---------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sensorium",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Channel layer (live readings to viewers, commands to device sockets) ------------
# Redis pub/sub carries group messages with one PUBLISH per frame instead of a write per
# member, publishes sharing round trips (core/channel_layers.py); LIVE_CHANNEL_LAYER=core
# keeps channels_redis' list-based layer.
LIVE_CHANNEL_LAYER = env.str("LIVE_CHANNEL_LAYER", default="pubsub")
if REDIS_URL and LIVE_CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.channel_layers.PipelinedPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "sensorium"},
        }
    }
elif REDIS_URL:
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
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "expiry": 10},
        }
    }

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Redis as the broker is refused: stopped for 8 s under load and started again, kombu's Redis
# transport left the batches a worker held unacked for the whole visibility timeout (an hour),
# accepted readings unstored (tests/faults, celery#10205); a visibility timeout short enough to
# matter would run long tasks (exports) twice. RabbitMQ gives them back when the connection drops.
if CELERY_BROKER_URL.partition("://")[0] in ("redis", "rediss", "redis+socket", "sentinel"):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL: Redis is not supported as the Celery broker (after a broker restart the "
        "batches a worker held stay unstored for the visibility timeout). Use RabbitMQ: amqp://...")
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

# --- Celery: queues ------------------------------------------------------------------
CELERY_TASK_ROUTES = {
    # Readings are written by one task on a queue of its own.
    "workers.tasks.readings.readings_write_batch": {"queue": "telemetry"},
    # Collect jobs need the radio: run a worker with `-Q ble` on the gateway machine.
    "workers.tasks.ble.collect_job_run": {"queue": "ble"},
    # Alarm emails and webhooks, so a slow receiver never holds up anything else: `-Q alerts`.
    "workers.tasks.alerts.notification_deliver": {"queue": "alerts"},
    "workers.tasks.alerts.batch_evaluate": {"queue": "alerts"},
}
# Declared, so that a bare `celery -A project worker` consumes them all; `ble`, left out,
# is consumed only by a worker started with `-Q ble`. Each as Celery would create it.
CELERY_TASK_QUEUES = [Queue(name, Exchange(name, type="direct"), routing_key=name)
                      for name in (CELERY_TASK_DEFAULT_QUEUE, "telemetry")]

# --- Celery: the beat schedule -------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    # Telemetry storage: partitions ahead of time, retention per device type.
    "telemetry-partitions-ensure": {"task": "workers.tasks.maintenance.partitions_ensure_task",
                                    "schedule": timedelta(hours=1)},
    "telemetry-retention-apply": {"task": "workers.tasks.maintenance.retention_apply_task",
                                  "schedule": timedelta(hours=6)},
    # The hourly rollup behind daily totals.
    "telemetry-daily-totals-refresh": {"task": "workers.tasks.rollups.daily_totals_refresh_task",
                                       "schedule": timedelta(minutes=15)},
    # Devices silent too long are marked offline; commands past their TTL expire.
    "presence-sweep": {"task": "workers.tasks.presence.presence_sweep_task", "schedule": 15.0},
    "commands-expire": {"task": "workers.tasks.presence.commands_expire_task", "schedule": 60.0},
    # S3 archival: yesterday's blink records, rotated log files.
    "wellness-blinks-export-daily": {"task": "workers.tasks.storage.blinks_export_daily",
                                     "schedule": crontab(hour=0, minute=30)},
    "wellness-logs-upload": {"task": "workers.tasks.storage.logs_upload", "schedule": timedelta(hours=1)},
    # Alarms: sensors silent longer than their rule allows.
    "alerts-silence-check": {"task": "workers.tasks.alerts.alarms_silence_check",
                             "schedule": ALERTS_SILENCE_CHECK_INTERVAL_S},
}

# --- Celery: worker heartbeat (GET /status) ------------------------------------------
# Each worker writes a heartbeat into the cache this often; /status calls a worker dead
# after WORKER_HEARTBEAT_STALE_S without one.
WORKER_HEARTBEAT_INTERVAL_S = env.float("WORKER_HEARTBEAT_INTERVAL_S", default=10.0)
WORKER_HEARTBEAT_STALE_S = env.float("WORKER_HEARTBEAT_STALE_S", default=30.0)
WORKER_HEARTBEAT_FORGET_S = 3600
