"""S3 tasks: export jobs, the daily blink archive, rotated log files.

S3 being unreachable is retried with exponential backoff (S3_RETRY_BACKOFF_S doubling,
S3_MAX_RETRIES times); a refusal that retrying cannot fix (no such bucket, bad
credentials, archival not configured) ends the work at once with the reason, so a
misconfiguration never turns into a retry loop. Every task is idempotent: keys are
deterministic and a re-run overwrites.
"""

import logging
import socket
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from core import storage
from core.logs import log_file_archive, log_files_claim
from telemetry.exports import services
from telemetry.exports.selectors import blink_users_on
from telemetry.exports.services import blink_day_export

logger = logging.getLogger(__name__)
MAX_BACKOFF_S = 600


class S3GaveUp(Exception):
    def __init__(self, attempts: int, last: storage.StorageUnavailable):
        super().__init__(f"S3 unreachable after {attempts} attempts: {last}")


def _with_s3_retries(task, work: Callable[[], Any], *, on_retry: Callable[[str], None] = lambda reason: None) -> Any:
    """work() with S3 outages retried under exponential backoff, S3_MAX_RETRIES times, then
    S3GaveUp. A worker retries through the broker (no process waits meanwhile); eager
    (embedded) mode has no broker to hold the retry, so it waits in place."""
    retries = task.request.retries
    while True:
        try:
            return work()
        except storage.StorageUnavailable as exc:
            if retries >= settings.S3_MAX_RETRIES:
                raise S3GaveUp(retries + 1, exc) from exc
            countdown = get_exponential_backoff_interval(factor=settings.S3_RETRY_BACKOFF_S, retries=retries,
                                                         maximum=MAX_BACKOFF_S, full_jitter=False)
            logger.warning("S3 unavailable (attempt %s of %s), retrying in %ss: %s", retries + 1,
                           settings.S3_MAX_RETRIES + 1, countdown, exc)
            on_retry(str(exc))
            if not task.request.is_eager:
                raise task.retry(exc=exc, countdown=countdown) from exc
            time.sleep(countdown)
            retries += 1


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def export_job_run(self, job_id: str) -> dict:
    try:
        job = _with_s3_retries(self, lambda: services.export_job_execute(job_id=job_id),
                               on_retry=lambda reason: services.export_job_retrying(job_id=job_id, reason=reason))
    except (S3GaveUp, storage.StorageError) as exc:
        services.export_job_fail(job_id=job_id, reason=str(exc))
        logger.error("Export %s failed: %s", job_id, exc)
        return {"status": "failed", "error": str(exc)}
    return {"status": job.status, "key": job.key, "rows": job.rows}


@shared_task
def blinks_export_daily(day: str | None = None) -> dict:
    """Queue one archive task per user with blink records on `day` (default: yesterday, UTC)."""
    if not storage.storage_enabled("data"):
        logger.info("Daily blink export skipped: S3_BUCKET_DATA is not set.")
        return {"skipped": "S3_BUCKET_DATA is not set"}
    the_day = date.fromisoformat(day) if day else datetime.now(timezone.utc).date() - timedelta(days=1)
    start = datetime(the_day.year, the_day.month, the_day.day, tzinfo=timezone.utc)
    users = blink_users_on(start=start, end=start + timedelta(days=1))
    for user_id in users:
        blinks_export_user_day.delay(user_id, the_day.isoformat())
    return {"day": the_day.isoformat(), "users": len(users)}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def blinks_export_user_day(self, user_id: int, day: str) -> dict:
    try:
        return _with_s3_retries(self, lambda: blink_day_export(user_id=user_id, day=date.fromisoformat(day)))
    except (S3GaveUp, storage.StorageError) as exc:
        logger.error("Daily blink export of user %s for %s failed: %s", user_id, day, exc)
        return {"failed": str(exc)}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def logs_upload(self) -> dict:
    """Upload this machine's rotated log files to S3_BUCKET_LOGS (beat: hourly).

    Each machine's beat or worker archives its own var/log/; files stay on disk until
    their upload succeeds."""
    if not storage.storage_enabled("logs"):
        return {"skipped": "S3_BUCKET_LOGS is not set"}
    if settings.LOG_DIR is None:
        return {"skipped": "LOG_DIR is not set: logs go to standard output only"}
    bucket, host = storage.bucket_for("logs"), socket.gethostname()
    keys: list[str] = []

    def upload_all() -> None:
        for path in log_files_claim(log_dir=settings.LOG_DIR):
            keys.append(log_file_archive(path=path, bucket=bucket, host=host))

    try:
        _with_s3_retries(self, upload_all)
    except (S3GaveUp, storage.StorageError) as exc:
        logger.error("Log upload failed (files kept for the next run): %s", exc)
        return {"uploaded": keys, "failed": str(exc)}
    return {"uploaded": keys}
