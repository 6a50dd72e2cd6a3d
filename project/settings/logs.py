"""Structured logs: JSON lines to stdout and to a rotating file per program.

Each line carries the request id, user, sensor and task id where known. Files live under
LOG_DIR, one per program (daphne.log, celery.log, manage.log…) so that different
programs never rotate each other's file. Rotated files (<name>.log.1, …) are uploaded
to S3_BUCKET_LOGS hourly and then removed.
"""

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .environment import VAR_DIR, env

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_DIR = Path(env.str("LOG_DIR", default=str(VAR_DIR / "log")))
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}.")
LOG_FILE_MAX_BYTES = env.int("LOG_FILE_MAX_BYTES", default=10 * 1024 * 1024)
LOG_FILE_BACKUPS = env.int("LOG_FILE_BACKUPS", default=5)

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
        "file": {"class": "logging.handlers.RotatingFileHandler", "filename": str(LOG_DIR / f"{_program}.log"),
                 "maxBytes": LOG_FILE_MAX_BYTES, "backupCount": LOG_FILE_BACKUPS, "encoding": "utf-8",
                 "delay": True, "formatter": "json"},
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Celery workers ------------------------------------------------------------------
# Workers log through the configuration above (JSON, with the task id) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
