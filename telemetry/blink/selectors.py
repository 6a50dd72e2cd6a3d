"""Reads of blink records. Every read is scoped to one user: wellness data is personal."""

import uuid
from datetime import datetime, tzinfo
from typing import Any

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncDay, TruncHour

from sensors.models import DeviceType, Sensor
from telemetry.models import BlinkRecord
from users.models import User

BUCKETS = {"hour": TruncHour, "day": TruncDay}


def eye_tracker_get(*, user: User) -> Sensor | None:
    """The user's eye tracker: the first one they registered."""
    return Sensor.objects.filter(owner=user, device_type=DeviceType.EYE_TRACKER).order_by("created_at", "pk").first()


def blink_client_ids_stored(*, sensor: Sensor, client_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(BlinkRecord.objects.filter(sensor=sensor, client_id__in=client_ids).values_list("client_id", flat=True))


def blink_cursor(*, sensor: Sensor) -> datetime | None:
    """The newest timestamp stored for the tracker (a client's sync high-water mark)."""
    return BlinkRecord.objects.filter(sensor=sensor).aggregate(newest=Max("timestamp"))["newest"]


def blink_stats(*, user: User, start: datetime, end: datetime, bucket: str, tz: tzinfo) -> list[dict[str, Any]]:
    """Blinks per minute and tracked time per hour or day (in `tz`) for buckets with data,
    oldest first. Blinks per minute is over tracked time, not wall-clock time."""
    rows = (BlinkRecord.objects.filter(user=user, timestamp__gte=start, timestamp__lt=end)
            .annotate(bucket_start=BUCKETS[bucket]("timestamp", tzinfo=tz))
            .values("bucket_start")
            .annotate(blinks=Sum("blink_count"), tracked_s=Sum("interval_s"), records=Count("id"))
            .order_by("bucket_start"))
    return [{"start": row["bucket_start"], "blinks": row["blinks"], "tracked_s": round(row["tracked_s"], 3),
             "blinks_per_min": round(row["blinks"] * 60 / row["tracked_s"], 2) if row["tracked_s"] else None,
             "records": row["records"]}
            for row in rows]


def blink_records_of(*, user: User, start: datetime, end: datetime):
    """A user's records in [start, end), oldest first (exports)."""
    return (BlinkRecord.objects.filter(user=user, timestamp__gte=start, timestamp__lt=end)
            .select_related(None).order_by("timestamp", "id"))
