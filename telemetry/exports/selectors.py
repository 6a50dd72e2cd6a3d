"""Reads for exports: a user's jobs, and the CSV rows of each kind of data."""

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from telemetry.models import BlinkRecord, ExportJob, ExportKind
from telemetry.schema import timestamp_format
from telemetry.selectors import IMU_COLUMNS, ReadingQuery, readings_iter
from users.models import User

BLINK_HEADER = ["timestamp", "sensor_id", "client_id", "blink_count", "interval_s", "blinks_per_min", "extras"]


def export_jobs_of(*, user: User) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(user=user).select_related("sensor")


def export_job_get(*, user: User, job_id: uuid.UUID) -> ExportJob:
    """A job of the user's, or Http404 (another user's job stays unknown)."""
    return get_object_or_404(export_jobs_of(user=user), pk=job_id)


def _blink_row(record: BlinkRecord) -> list[Any]:
    return [timestamp_format(record.timestamp), record.sensor_id, str(record.client_id), record.blink_count,
            record.interval_s, round(record.blink_count * 60 / record.interval_s, 2),
            json.dumps(record.extras, sort_keys=True, separators=(",", ":")) if record.extras else ""]


def blink_rows(records: QuerySet[BlinkRecord]) -> Iterator[list[Any]]:
    return (_blink_row(record) for record in records.iterator(chunk_size=2000))


def export_rows(*, job: ExportJob) -> tuple[list[str], Iterator[list[Any]]]:
    """The CSV header and rows of a job's data, oldest first."""
    if job.kind == ExportKind.BLINK:
        records = BlinkRecord.objects.filter(sensor=job.sensor, timestamp__gte=job.start, timestamp__lt=job.end)
        return BLINK_HEADER, blink_rows(records.order_by("timestamp", "id"))
    query = ReadingQuery(sensor_id=job.sensor_id, kind=job.kind, start=job.start, end=job.end, order="oldest")
    if job.kind == ExportKind.IMU:
        rows = ([timestamp_format(row["timestamp"]), *(row[group] if key is None else row[group][key]
                                                        for group, key in IMU_COLUMNS.values())]
                for row in readings_iter(query=query))
        return ["timestamp", *IMU_COLUMNS], rows
    rows = ([timestamp_format(row["timestamp"]), row["name"], row["value"]] for row in readings_iter(query=query))
    return ["timestamp", "name", "value"], rows


def blink_users_on(*, start: datetime, end: datetime) -> list[int]:
    """Users with blink records stored in [start, end)."""
    return sorted(set(BlinkRecord.objects.filter(timestamp__gte=start, timestamp__lt=end)
                      .values_list("user_id", flat=True).distinct()))
