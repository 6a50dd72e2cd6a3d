"""Structured logs: JSON lines to stdout, which journald, containers and process managers
collect; a file only when LOG_DIR is set.

Each line carries the request id, user, sensor and task id where known. With LOG_DIR, each
program appends to its own file there (daphne.log, celery.log, manage.log…), which several
processes of one program share: a WatchedFileHandler reopens it when logrotate has moved it
(deploy/logrotate.conf), since no process rotates it itself. Rotated files (<name>.log.1, …)
are uploaded to S3_BUCKET_LOGS hourly and then removed.
"""

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .environment import env

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_DIR = Path(env.str("LOG_DIR")) if env.str("LOG_DIR", default="") else None
if LOG_DIR is not None:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}.")

# --- Handlers and loggers ------------------------------------------------------------
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
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if LOG_DIR is not None:
    LOGGING["handlers"]["file"] = {"class": "logging.handlers.WatchedFileHandler",
                                   "filename": str(LOG_DIR / f"{_program}.log"), "encoding": "utf-8",
                                   "delay": True, "formatter": "json"}
    LOGGING["root"]["handlers"].append("file")

# --- Celery workers ------------------------------------------------------------------
# Workers log through the configuration above (JSON, with the task id) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
