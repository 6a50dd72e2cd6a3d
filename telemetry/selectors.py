"""Reads of readings: time ranges, keyset pages, time buckets, the newest reading.

The database differences (TimescaleDB, PostgreSQL, SQLite) are in telemetry/timeseries.py;
daily sums in telemetry/daily_totals.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Avg, Count, F, FloatField, Max, Min, Q, QuerySet
from django.db.models.functions import Cast

from sensors.models import DeviceType, Sensor
from telemetry.models import ImuReading, MetricReading
from telemetry.timeseries import TimeBucket

Kind = Literal["imu", "metric"]
Order = Literal["newest", "oldest"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
BUCKETS: dict[str, int] = {"1s": 1, "1m": 60, "5m": 300, "1h": 3600, "1d": 86400}
# A chart never needs more points per series than this; past it the server buckets.
MAX_POINTS_PER_SERIES = 2000
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1000
DEFAULT_RANGE = timedelta(hours=24)
FUTURE_BOUND = timedelta(days=1)
RECENT = timedelta(days=1)

# Column -> (wire group, key). Groups are the SensorReading wire format's nested vectors.
IMU_COLUMNS: dict[str, tuple[str, str | None]] = {
    "accel_x": ("acceleration", "x"), "accel_y": ("acceleration", "y"), "accel_z": ("acceleration", "z"),
    "gyro_x": ("gyroscope", "x"), "gyro_y": ("gyroscope", "y"), "gyro_z": ("gyroscope", "z"),
    "battery_level": ("battery_level", None), "signal_strength": ("signal_strength", None),
}
IMU_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "acceleration": ("accel_x", "accel_y", "accel_z"),
    "gyroscope": ("gyro_x", "gyro_y", "gyro_z"),
    **{column: (column,) for column in IMU_COLUMNS},
}


class CursorInvalid(ValueError):
    """The cursor is not one this query handed out."""


# --- time buckets -------------------------------------------------------------------

def bucket_for_range(*, start: datetime, end: datetime) -> str:
    """The smallest bucket that keeps [start, end) within MAX_POINTS_PER_SERIES buckets."""
    seconds = (end - start).total_seconds()
    for name, width in BUCKETS.items():
        if seconds / width <= MAX_POINTS_PER_SERIES:
            return name
    return "1d"


# --- cursors ------------------------------------------------------------------------

def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def cursor_encode(*, timestamp: datetime, name: str | None, order: Order, bucket: str | None) -> str:
    key = {"t": _micros(timestamp), "o": order, "b": bucket}
    if name is not None:
        key["n"] = name
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    timestamp: datetime
    name: str | None
    order: Order
    bucket: str | None


def cursor_decode(token: str) -> Cursor:
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(_from_micros(int(key["t"])), key.get("n"), key["o"], key["b"])
    except (ValueError, TypeError, KeyError, OverflowError, binascii.Error) as exc:
        raise CursorInvalid("Not a cursor this API handed out.") from exc
    if cursor.order not in ("newest", "oldest") or (cursor.bucket is not None and cursor.bucket not in BUCKETS):
        raise CursorInvalid("Not a cursor this API handed out.")
    return cursor


# --- the query ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReadingQuery:
    """What a caller asked for, already validated. `columns` are IMU columns; `names` metric names."""

    sensor_id: str
    kind: Kind
    start: datetime | None  # None: no lower bound (the newest readings, whenever they are)
    end: datetime | None = None
    columns: tuple[str, ...] = tuple(IMU_COLUMNS)
    names: tuple[str, ...] = ()
    order: Order = "newest"
    limit: int = DEFAULT_LIMIT
    bucket: str | None = None
    cursor: Cursor | None = None


@dataclass
class ReadingPage:
    rows: list[dict]
    next_cursor: str | None
    bucket: str | None
    bucket_chosen_by_server: bool = False
    query: ReadingQuery | None = field(default=None, repr=False)


def _model(kind: Kind):
    return ImuReading if kind == "imu" else MetricReading


def _in_range(query: ReadingQuery) -> QuerySet:
    # An open end is bounded anyway (ingest refuses readings minutes ahead), so PostgreSQL
    # can leave out the partitions after it and the DEFAULT partition at plan time.
    end = query.end or datetime.now(timezone.utc) + FUTURE_BOUND
    readings = _model(query.kind).objects.filter(sensor_id=query.sensor_id, timestamp__lt=end)
    if query.start is not None:
        readings = readings.filter(timestamp__gte=query.start)
    if query.kind == "metric" and query.names:
        readings = readings.filter(name__in=query.names)
    return readings


def _after_cursor(query: ReadingQuery, readings: QuerySet, width: int | None) -> QuerySet:
    """Rows strictly past the cursor in the query's order: keyset on (timestamp[, name])
    for raw rows, on (bucket start[, name]) for buckets. Rows inserted meanwhile never
    shift a page, because the position is a key, not an offset."""
    position = query.cursor
    if position is None:
        return readings
    newest = query.order == "newest"
    moment = position.timestamp
    if width is None:
        past = Q(timestamp__lt=moment) if newest else Q(timestamp__gt=moment)
        same_time = Q(timestamp=moment)
        readings = readings.filter(**{"timestamp__lte" if newest else "timestamp__gte": moment})
    else:
        bucket_end = moment + timedelta(seconds=width)
        past = Q(timestamp__lt=moment) if newest else Q(timestamp__gte=bucket_end)
        same_time = Q(timestamp__gte=moment, timestamp__lt=bucket_end)
        readings = readings.filter(
            **{"timestamp__lt" if newest else "timestamp__gte": bucket_end if newest else moment})
    if query.kind == "metric" and position.name is not None:
        name_past = Q(name__lt=position.name) if newest else Q(name__gt=position.name)
        return readings.filter(past | (same_time & name_past))
    return readings.filter(past)


def readings_page(*, query: ReadingQuery) -> ReadingPage:
    """One page of raw readings, or of buckets when `query.bucket` is set."""
    if query.bucket:
        return _bucket_page(query)
    readings = _after_cursor(query, _in_range(query), width=None)
    direction = "-" if query.order == "newest" else ""
    if query.kind == "imu":
        values = readings.order_by(f"{direction}timestamp").values_list("timestamp", *query.columns)
        fetched = list(values[: query.limit + 1])
        rows = [_imu_row(row, query.columns) for row in fetched[: query.limit]]
    else:
        values = readings.order_by(f"{direction}timestamp", f"{direction}name").values_list("timestamp", "name", "value")
        fetched = list(values[: query.limit + 1])
        rows = [{"timestamp": timestamp, "name": name, "value": value}
                for timestamp, name, value in fetched[: query.limit]]
    return ReadingPage(rows=rows, next_cursor=_next_cursor(query, rows, has_more=len(fetched) > query.limit),
                       bucket=None, query=query)


def _imu_row(values: tuple, columns: tuple[str, ...]) -> dict:
    row: dict = {"timestamp": values[0]}
    for column, value in zip(columns, values[1:]):
        group, key = IMU_COLUMNS[column]
        if key is None:
            row[group] = value
        else:
            row.setdefault(group, {})[key] = value
    return row


def _bucket_page(query: ReadingQuery) -> ReadingPage:
    width = BUCKETS[query.bucket]
    readings = _after_cursor(query, _in_range(query), width=width)
    direction = "-" if query.order == "newest" else ""
    grouped = readings.annotate(bucket=TimeBucket(F("timestamp"), seconds=width))
    if query.kind == "imu":
        aggregates = {"count": Count("*")}
        for column in query.columns:
            # As float, so PostgreSQL's avg of a smallint is not a numeric needing conversion.
            value = Cast(column, FloatField())
            aggregates |= {f"{column}__avg": Avg(value), f"{column}__min": Min(value), f"{column}__max": Max(value)}
        values = (grouped.values("bucket").annotate(**aggregates).order_by(f"{direction}bucket")
                  .values_list("bucket", *aggregates))
    else:
        values = (grouped.values("bucket", "name")
                  .annotate(count=Count("*"), avg=Avg("value"), min=Min("value"), max=Max("value"))
                  .order_by(f"{direction}bucket", f"{direction}name")
                  .values_list("bucket", "name", "count", "avg", "min", "max"))
    # Plain tuples straight from the cursor: Django's per-value converters cost more than
    # the query itself for a day of one-minute buckets.
    sql, params = values[: query.limit + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows = [_bucket_row(row, query) for row in fetched[: query.limit]]
    return ReadingPage(rows=rows, next_cursor=_next_cursor(query, rows, has_more=len(fetched) > query.limit),
                       bucket=query.bucket, query=query)


def _bucket_start(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite gives text
        return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    return value


def _bucket_row(values: tuple, query: ReadingQuery) -> dict:
    if query.kind == "metric":
        return dict(zip(("timestamp", "name", "count", "avg", "min", "max"), (_bucket_start(values[0]), *values[1:])))
    row = {"timestamp": _bucket_start(values[0]), "count": values[1]}
    for index, column in enumerate(query.columns):
        avg, low, high = values[2 + 3 * index: 5 + 3 * index]
        row[column] = {"avg": avg, "min": low, "max": high}
    return row


def _next_cursor(query: ReadingQuery, rows: list[dict], *, has_more: bool) -> str | None:
    if not has_more or not rows:
        return None
    last = rows[-1]
    return cursor_encode(timestamp=last["timestamp"], name=last.get("name"), order=query.order, bucket=query.bucket)


def readings_query_resolve(*, query: ReadingQuery, bucket_requested: bool, paging: bool) -> tuple[ReadingQuery, bool]:
    """Pick a bucket when the caller gave none, is not paging raw rows, gave a range, and the
    range holds more than MAX_POINTS_PER_SERIES readings per series. Returns the query and whether the
    server chose its bucket. Counting stops at the threshold, so this costs one short
    index scan whatever the range."""
    if bucket_requested or paging or query.bucket or query.start is None:
        return query, False
    readings = _in_range(query)
    series = len(query.names) if query.kind == "metric" and query.names else 1
    threshold = MAX_POINTS_PER_SERIES * series
    if readings.order_by().values("timestamp")[threshold : threshold + 1].exists():
        end = query.end or datetime.now(timezone.utc)
        return replace(query, bucket=bucket_for_range(start=query.start, end=end)), True
    return query, False


def reading_kind(*, sensor: Sensor, names: tuple[str, ...] = ()) -> Kind:
    """The kind a query asks for when it names none: metric when it names metrics or the
    sensor is not an IMU."""
    return "metric" if names or sensor.device_type != DeviceType.IMU else "imu"


def readings_query_build(*, sensor: Sensor, params: dict, given: set[str]) -> tuple[ReadingQuery, bool]:
    """The query for the readings API's validated parameters (`given`: the names the caller
    sent), with its bucket resolved; also whether the server chose the bucket. Raises
    ValidationError naming the parameter that does not fit the sensor or the cursor."""
    names = tuple(params.get("metric") or ())
    kind = params.get("kind") or reading_kind(sensor=sensor, names=names)
    fields = params.get("fields") or []
    columns = tuple(IMU_COLUMNS)
    if kind == "imu":
        if names:
            raise ValidationError({"metric": ["An IMU query has no metrics; use kind=metric."]})
        unknown = [name for name in fields if name not in IMU_FIELD_NAMES]
        if unknown:
            raise ValidationError(
                {"fields": [f"Unknown field(s) {', '.join(unknown)}; choose from {', '.join(IMU_FIELD_NAMES)}."]})
        if fields:
            chosen = {column for name in fields for column in IMU_FIELD_NAMES[name]}
            columns = tuple(column for column in IMU_COLUMNS if column in chosen)
    elif fields and not names:
        names = tuple(fields)
    bucket = params.get("bucket")
    bucket = None if bucket == "raw" else bucket
    order = params["order"]
    cursor = None
    if params.get("cursor"):
        try:
            cursor = cursor_decode(params["cursor"])
        except CursorInvalid as exc:
            raise ValidationError({"cursor": [str(exc)]}) from exc
        # The next page repeats the first page's query; its bucket may have been chosen by the server.
        bucket = bucket if "bucket" in given else cursor.bucket
        order = order if "order" in given else cursor.order
        if (cursor.order, cursor.bucket) != (order, bucket):
            raise ValidationError(
                {"cursor": ["This cursor belongs to a query with another order or bucket; repeat that query."]})
    query = ReadingQuery(sensor_id=sensor.pk, kind=kind, start=params.get("start"), end=params.get("end"), columns=columns,
                         names=names, order=order, limit=params.get("limit") or DEFAULT_LIMIT, bucket=bucket,
                         cursor=cursor)
    return readings_query_resolve(query=query, bucket_requested="bucket" in given,
                                  paging="limit" in given or cursor is not None or params["format"] == "csv")


EXPORT_CHUNK = 5000


def readings_iter(*, query: ReadingQuery, chunk: int | None = None) -> Iterator[dict]:
    """Every row of the query, fetched in keyset chunks: each chunk is a short query, so a
    slow reader holds no transaction or snapshot open (that would block partition drops
    and vacuum) and nothing is buffered beyond one chunk."""
    query = replace(query, limit=chunk or EXPORT_CHUNK, cursor=None)
    while True:
        page = readings_page(query=query)
        yield from page.rows
        if page.next_cursor is None:
            return
        query = replace(query, cursor=cursor_decode(page.next_cursor))


# --- newest reading -----------------------------------------------------------------

def _newest(readings: QuerySet, *fields: str):
    """The newest row's `fields` (or timestamp): looked for in the last day first, since a
    bounded range lets PostgreSQL plan and scan only the newest partitions; the whole
    table only for a sensor silent that long."""
    now = datetime.now(timezone.utc)
    for candidates in (readings.filter(timestamp__gte=now - RECENT, timestamp__lt=now + FUTURE_BOUND), readings):
        newest = candidates.order_by("-timestamp").values_list(*(fields or ("timestamp",)), flat=not fields).first()
        if newest is not None:
            return newest
    return None


def reading_latest(*, sensor_id: str, kind: Kind, names: tuple[str, ...] = ()) -> dict | None:
    """The newest reading in the wire format: one backward step on the (sensor, timestamp)
    key, so it costs the same at any table size. For metrics, every metric stored at
    the newest timestamp (restricted to `names` when given)."""
    if kind == "imu":
        columns = tuple(IMU_COLUMNS)
        values = _newest(ImuReading.objects.filter(sensor_id=sensor_id), "timestamp", *columns)
        return None if values is None else {"sensor_id": sensor_id, **_imu_row(values, columns)}
    readings = MetricReading.objects.filter(sensor_id=sensor_id)
    if names:
        newest_by_name = [_newest(readings.filter(name=name)) for name in names]
        newest = max((moment for moment in newest_by_name if moment is not None), default=None)
        readings = readings.filter(name__in=names)
    else:
        newest = _newest(readings)
    if newest is None:
        return None
    metrics = dict(readings.filter(timestamp=newest).order_by("name").values_list("name", "value"))
    return {"sensor_id": sensor_id, "timestamp": newest, "metrics": metrics}


def metric_last_reading_at(*, sensor_id: str, name: str) -> datetime | None:
    return _newest(MetricReading.objects.filter(sensor_id=sensor_id, name=name))


def metric_newest_value(*, sensor_id: str, name: str) -> tuple[datetime, float] | None:
    """(timestamp, value) of the sensor's newest reading of the metric."""
    return _newest(MetricReading.objects.filter(sensor_id=sensor_id, name=name), "timestamp", "value")
