"""The reading wire format, validated with compiled msgspec types (not DRF per field).

A reading is the users' SensorReading (`acceleration` and `gyroscope` vectors) or a
metric reading (`metrics` by name). Validation returns typed readings plus a per-index
rejection report, so one bad reading never sinks its batch.
"""

from math import isfinite
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from sensors.validators import SENSOR_ID_PATTERN
from telemetry.blink.wire import BlinkIn, BlinkRow, blink_check, blink_row

MAX_FUTURE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
METRIC_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
BATTERY_MIN, BATTERY_MAX = 0, 100  # percent
SIGNAL_MIN, SIGNAL_MAX = -150, 20  # dBm


# gc=False: readings hold no reference cycles, and thousands per request would otherwise
# keep the garbage collector busy.
class Vector(msgspec.Struct, gc=False):
    x: float
    y: float
    z: float


class ReadingIn(msgspec.Struct, omit_defaults=True, gc=False):
    sensor_id: str
    timestamp: datetime | int | float
    acceleration: Vector | None = None
    gyroscope: Vector | None = None
    battery_level: int | None = None
    signal_strength: int | None = None
    metrics: dict[str, float] | None = None
    blink: BlinkIn | None = None


class ReadingsEnvelope(msgspec.Struct):
    readings: list[ReadingIn]


class TypedReadings(list):
    """Readings msgspec already decoded into ReadingIn straight from the request bytes."""


# Rows encode as JSON arrays in the storage column order (telemetry.storage), in C.
class ImuRow(msgspec.Struct, array_like=True, gc=False):
    sensor_id: str
    timestamp: datetime
    accel_x: float
    accel_y: float
    accel_z: float
    gyro_x: float
    gyro_y: float
    gyro_z: float
    battery_level: int | None
    signal_strength: int | None


class MetricRow(msgspec.Struct, array_like=True, gc=False):
    sensor_id: str
    timestamp: datetime
    name: str
    value: float


class LinkRow(msgspec.Struct, array_like=True, gc=False):
    """Battery and signal a metric or blink reading carried (a motion reading's ImuRow holds its own)."""
    sensor_id: str
    timestamp: datetime
    battery_level: int | None
    signal_strength: int | None


_typed_decoder = msgspec.json.Decoder(ReadingsEnvelope | list[ReadingIn])
_single_decoder = msgspec.json.Decoder(ReadingIn)


@dataclass
class ValidatedBatch:
    imu: list[ImuRow]
    metrics: list[MetricRow]
    # index in the request -> (sensor_id, reading) of every accepted reading; the reading, its
    # timestamp set to the UTC text, encodes as the wire form viewers get (None fields omitted)
    accepted: list[tuple[int, str, ReadingIn]]
    rejected: list[dict[str, Any]]
    blinks: list[BlinkRow] = field(default_factory=list)
    links: list[LinkRow] = field(default_factory=list)


def _field_path(message: str) -> tuple[str, str]:
    # msgspec says "Expected `float`, got `str` - at `$[3].acceleration.x`".
    text, _, where = message.partition(" - at `")
    path = where.rstrip("`").lstrip("$")
    path = re.sub(r"^\[\d+\]", "", path).lstrip(".") or "reading"
    return path, text


def _timestamp(value: datetime | int | float, now: datetime) -> tuple[datetime | None, str | None]:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return None, "Timestamp has no time zone; send ISO 8601 with Z or an offset, or epoch milliseconds."
        moment = value.astimezone(timezone.utc)
    else:
        if not isfinite(value):
            return None, "Timestamp must be a finite number of epoch milliseconds."
        try:
            moment = datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None, "Timestamp out of range."
    if moment > now + MAX_FUTURE:
        return None, "Timestamp is more than 5 minutes in the future."
    if moment < EARLIEST:
        return None, "Timestamp is before 2000-01-01; epoch milliseconds expected, not seconds."
    return moment, None


def _finite(errors: dict[str, list[str]], field: str, vector: Vector | None) -> None:
    if vector is not None and not (isfinite(vector.x) and isfinite(vector.y) and isfinite(vector.z)):
        errors[field] = ["Values must be finite numbers (no NaN or Infinity)."]


def _reading_check(reading: ReadingIn, now: datetime,
                   valid_ids: set[str]) -> tuple[dict[str, list[str]], datetime | None]:
    errors: dict[str, list[str]] = {}
    if reading.sensor_id not in valid_ids:
        if SENSOR_ID_PATTERN.match(reading.sensor_id):
            valid_ids.add(reading.sensor_id)
        else:
            errors["sensor_id"] = ["Not a valid sensor id."]
    moment, problem = _timestamp(reading.timestamp, now)
    if problem:
        errors["timestamp"] = [problem]
    has_motion = reading.acceleration is not None or reading.gyroscope is not None
    if reading.blink is not None:
        if has_motion or reading.metrics:
            errors["reading"] = ["A blink reading carries no motion vectors or metrics."]
        errors.update({f"blink.{name}": problems for name, problems in blink_check(reading.blink).items()})
    elif has_motion and reading.metrics:
        errors["reading"] = ["Send either acceleration/gyroscope or metrics in one reading, not both."]
    elif has_motion:
        for field in ("acceleration", "gyroscope"):
            if getattr(reading, field) is None:
                errors[field] = ["Required with the other motion vector."]
        _finite(errors, "acceleration", reading.acceleration)
        _finite(errors, "gyroscope", reading.gyroscope)
    elif not reading.metrics:
        errors["reading"] = ["A reading needs acceleration and gyroscope, or a non-empty metrics object."]
    if reading.metrics:
        bad_names = [name for name in reading.metrics if not METRIC_NAME_PATTERN.match(name)]
        if bad_names:
            errors["metrics"] = [f"Invalid metric name {bad_names[0]!r}: letters, digits, '_' or '.', up to 64."]
        elif not all(isfinite(v) for v in reading.metrics.values()):
            errors["metrics"] = ["Values must be finite numbers (no NaN or Infinity)."]
    if reading.battery_level is not None and not BATTERY_MIN <= reading.battery_level <= BATTERY_MAX:
        errors["battery_level"] = [f"Must be between {BATTERY_MIN} and {BATTERY_MAX}."]
    if reading.signal_strength is not None and not SIGNAL_MIN <= reading.signal_strength <= SIGNAL_MAX:
        errors["signal_strength"] = [f"Must be a dBm value between {SIGNAL_MIN} and {SIGNAL_MAX}."]
    return errors, moment


_second_texts: dict[int, str] = {}


def _second_text(second: int) -> str:
    """The text of each second is cached: a batch's readings share a few seconds, and
    datetime formatting is slow."""
    text = _second_texts.get(second)
    if text is None:
        if len(_second_texts) >= 100_000:
            _second_texts.clear()
        text = _second_texts[second] = datetime.fromtimestamp(second, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return text


def timestamp_format(moment: datetime) -> str:
    """A UTC moment as 2026-11-22T10:00:00.123Z."""
    return f"{_second_text(int(moment.timestamp()))}.{moment.microsecond // 1000:03d}Z"


def epoch_ms_format(ms: int) -> str:
    """`timestamp_format` of a moment given in epoch milliseconds, without a datetime."""
    second, milli = divmod(ms, 1000)
    return f"{_second_text(second)}.{milli:03d}Z"


def readings_decode(raw: bytes) -> TypedReadings | None:
    """Decode a request body straight into typed readings (one C pass), or None when it is
    not a clean batch, array or single reading; the caller then decodes generically and
    validates reading by reading to report each problem."""
    try:
        decoded = _typed_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        try:
            return TypedReadings([_single_decoder.decode(raw)])
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
    return TypedReadings(decoded.readings if isinstance(decoded, ReadingsEnvelope) else decoded)


def readings_validate(items: list[Any], *, now: datetime | None = None) -> ValidatedBatch:
    now = now or datetime.now(timezone.utc)
    batch = ValidatedBatch(imu=[], metrics=[], accepted=[], rejected=[])
    failures: dict[int, dict[str, list[str]]] = {}
    try:
        typed: list[ReadingIn | None] = (
            items if isinstance(items, TypedReadings) else msgspec.convert(items, list[ReadingIn]))
    except msgspec.ValidationError:
        typed, failures = [], {}
        for index, item in enumerate(items):
            try:
                typed.append(msgspec.convert(item, ReadingIn))
            except msgspec.ValidationError as exc:
                field, message = _field_path(str(exc))
                typed.append(None)
                failures[index] = {field: [message]}

    valid_ids: set[str] = set()
    accepted_readings: list[ReadingIn] = []
    accepted_indexes: list[int] = []
    earliest_ms, latest_ms = int(EARLIEST.timestamp() * 1000), int((now + MAX_FUTURE).timestamp() * 1000)
    for index, reading in enumerate(typed):
        if reading is None:
            batch.rejected.append({"index": index, "errors": failures[index]})
            continue
        accel, gyro, at = reading.acceleration, reading.gyroscope, reading.timestamp
        battery, signal = reading.battery_level, reading.signal_strength
        if (type(at) is int and earliest_ms <= at <= latest_ms and accel is not None and gyro is not None
                and reading.metrics is None and reading.sensor_id in valid_ids
                and isfinite(accel.x) and isfinite(accel.y) and isfinite(accel.z)
                and isfinite(gyro.x) and isfinite(gyro.y) and isfinite(gyro.z)
                and (battery is None or BATTERY_MIN <= battery <= BATTERY_MAX)
                and (signal is None or SIGNAL_MIN <= signal <= SIGNAL_MAX)):
            # The bulk of traffic (a motion reading in epoch milliseconds) passes every rule of
            # _reading_check in this one expression; anything else takes the detailed path.
            batch.imu.append(ImuRow(reading.sensor_id, datetime.fromtimestamp(at / 1000, tz=timezone.utc),
                                    accel.x, accel.y, accel.z, gyro.x, gyro.y, gyro.z, battery, signal))
            reading.timestamp = epoch_ms_format(at)
            accepted_readings.append(reading)
            accepted_indexes.append(index)
            continue
        errors, moment = _reading_check(reading, now, valid_ids)
        if errors:
            batch.rejected.append({"index": index, "errors": errors})
            continue
        if reading.blink is not None or reading.metrics:
            if reading.blink is not None:
                batch.blinks.append(blink_row(reading.sensor_id, moment, reading.blink))
            else:
                batch.metrics.extend(MetricRow(reading.sensor_id, moment, name, float(value))
                                     for name, value in reading.metrics.items())
            if reading.battery_level is not None or reading.signal_strength is not None:
                batch.links.append(LinkRow(reading.sensor_id, moment, reading.battery_level, reading.signal_strength))
        else:
            accel, gyro = reading.acceleration, reading.gyroscope
            batch.imu.append(ImuRow(reading.sensor_id, moment, accel.x, accel.y, accel.z, gyro.x, gyro.y, gyro.z,
                                    reading.battery_level, reading.signal_strength))
        reading.timestamp = timestamp_format(moment)  # the wire form viewers get
        accepted_readings.append(reading)
        accepted_indexes.append(index)
    batch.accepted = [(index, reading.sensor_id, reading) for index, reading in zip(accepted_indexes, accepted_readings)]
    return batch
