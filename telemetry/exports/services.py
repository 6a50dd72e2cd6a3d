"""Export writes: create a job, run it (CSV → gzip → S3), record how it ended.

Object keys are deterministic (a job's key is fixed at creation; the daily blink archive
is keyed by user and day), so re-running anything overwrites the same object.
"""

import csv
import gzip
import io
import tempfile
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import IO, Any, Iterable

from celery import current_app
from django.db import transaction
from django.utils import timezone as django_timezone

from core import storage
from sensors.models import DeviceType, Sensor
from telemetry.blink.selectors import blink_records_of
from telemetry.exports import selectors
from telemetry.models import ExportJob, ExportKind, ExportStatus
from users.models import User

MAX_EXPORT_SPAN = timedelta(days=366)
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class ExportInvalid(Exception):
    """The request cannot become a job; `field` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def export_kind_default(*, sensor: Sensor) -> str:
    if sensor.device_type == DeviceType.EYE_TRACKER:
        return ExportKind.BLINK
    return ExportKind.IMU if sensor.device_type == DeviceType.IMU else ExportKind.METRIC


def csv_gzip_write(*, out: IO[bytes], header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write rows as gzip CSV; returns the row count. mtime=0 makes equal data give equal bytes."""
    count = 0
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as zipped:
        text = io.TextIOWrapper(zipped, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
        text.flush()
        text.detach()
    return count


def _csv_gzip_upload(*, bucket: str, key: str, header: list[str], rows: Iterable[list[Any]]) -> tuple[int, int]:
    """(rows, bytes) of the object uploaded; spooled to disk past 8 MB, never held whole."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        count = csv_gzip_write(out=spool, header=header, rows=rows)
        size = spool.tell()
        spool.seek(0)
        storage.object_upload(bucket=bucket, key=key, body=spool, content_type="application/gzip")
    return count, size


@transaction.atomic
def export_job_create(*, user: User, sensor: Sensor, kind: str | None, start: datetime, end: datetime) -> ExportJob:
    """Validate and queue an export; the worker picks it up once the job is committed."""
    bucket = storage.bucket_for("data")
    kind = kind or export_kind_default(sensor=sensor)
    if start >= end:
        raise ExportInvalid("start", "Must be before `end`.")
    if end - start > MAX_EXPORT_SPAN:
        raise ExportInvalid("end", f"An export covers at most {MAX_EXPORT_SPAN.days} days.")
    job_id = uuid.uuid4()
    job = ExportJob.objects.create(id=job_id, user=user, sensor=sensor, kind=kind, start=start, end=end, bucket=bucket,
                                   key=f"exports/user-{user.pk}/{sensor.pk}/{job_id}.csv.gz")
    transaction.on_commit(lambda: _export_job_enqueue(job_id=str(job_id)))
    return job


EXPORT_TASK = "workers.tasks.storage.export_job_run"  # looked up by name: tasks sit above this layer


def _export_job_enqueue(*, job_id: str) -> None:
    current_app.tasks[EXPORT_TASK].delay(job_id)


def export_job_execute(*, job_id: str) -> ExportJob:
    """Run a job once: its rows to its S3 key. Raises storage errors for the task to judge."""
    job = ExportJob.objects.select_related("sensor").get(pk=job_id)
    if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return job  # a redelivered message for a job that has ended
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, attempts=job.attempts + 1,
                                               started_at=job.started_at or django_timezone.now())
    header, rows = selectors.export_rows(job=job)
    count, size = _csv_gzip_upload(bucket=job.bucket, key=job.key, header=header, rows=rows)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.DONE, rows=count, size_bytes=size, error="",
                                               finished_at=django_timezone.now())
    job.refresh_from_db()
    return job


def export_job_retrying(*, job_id: str, reason: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(error=f"Retrying: {reason}")


def export_job_fail(*, job_id: str, reason: str) -> None:
    ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.FAILED, error=reason,
                                               finished_at=django_timezone.now())


def blink_daily_key(*, user_id: int, day: date) -> str:
    return f"blinks/daily/{day:%Y/%m/%d}/user-{user_id}.csv.gz"


def blink_day_export(*, user_id: int, day: date) -> dict[str, Any]:
    """One user's blink records of one UTC day to S3_BUCKET_DATA (re-running overwrites)."""
    bucket = storage.bucket_for("data")
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    user = User.objects.get(pk=user_id)
    key = blink_daily_key(user_id=user_id, day=day)
    rows = selectors.blink_rows(blink_records_of(user=user, start=start, end=start + timedelta(days=1)))
    count, size = _csv_gzip_upload(bucket=bucket, key=key, header=selectors.BLINK_HEADER, rows=rows)
    return {"bucket": bucket, "key": key, "rows": count, "bytes": size}
