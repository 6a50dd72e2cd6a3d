"""The reading wire format, validated with compiled msgspec types (not DRF per field).

A reading is the users' SensorReading (`acceleration` and `gyroscope` vectors) or a
metric reading (`metrics` by name). Validation returns typed readings plus a per-index
rejection report, so one bad reading never sinks its batch.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from sensors.validators import SENSOR_ID_PATTERN
from telemetry.blink.wire import BlinkIn, BlinkRow, blink_check, blink_row, blink_wire

MAX_FUTURE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
METRIC_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")


class Vector(msgspec.Struct):
    x: float
    y: float
    z: float


class ReadingIn(msgspec.Struct):
    sensor_id: str
    timestamp: datetime | int | float
    acceleration: Vector | None = None
    gyroscope: Vector | None = None
    battery_level: int | None = None
    signal_strength: int | None = None
    metrics: dict[str, float] | None = None
    blink: BlinkIn | None = None


@dataclass(frozen=True, slots=True)
class ImuRow:
    sensor_id: str
    timestamp: datetime
    accel: tuple[float, float, float]
    gyro: tuple[float, float, float]
    battery_level: int | None
    signal_strength: int | None


@dataclass(frozen=True, slots=True)
class MetricRow:
    sensor_id: str
    timestamp: datetime
    name: str
    value: float


@dataclass
class ValidatedBatch:
    imu: list[ImuRow]
    metrics: list[MetricRow]
    # index in the request -> (sensor_id, wire dict) of every accepted reading
    accepted: list[tuple[int, str, dict[str, Any]]]
    rejected: list[dict[str, Any]]
    blinks: list[BlinkRow] = field(default_factory=list)


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
        if not math.isfinite(value):
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
    if vector is not None and not all(math.isfinite(v) for v in (vector.x, vector.y, vector.z)):
        errors[field] = ["Values must be finite numbers (no NaN or Infinity)."]


def _reading_check(reading: ReadingIn, now: datetime) -> tuple[dict[str, list[str]], datetime | None]:
    errors: dict[str, list[str]] = {}
    if not SENSOR_ID_PATTERN.match(reading.sensor_id):
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
        elif not all(math.isfinite(v) for v in reading.metrics.values()):
            errors["metrics"] = ["Values must be finite numbers (no NaN or Infinity)."]
    if reading.battery_level is not None and not 0 <= reading.battery_level <= 100:
        errors["battery_level"] = ["Must be between 0 and 100."]
    if reading.signal_strength is not None and not -150 <= reading.signal_strength <= 20:
        errors["signal_strength"] = ["Must be a dBm value between -150 and 20."]
    return errors, moment


def timestamp_format(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def readings_validate(items: list[Any], *, now: datetime | None = None) -> ValidatedBatch:
    now = now or datetime.now(timezone.utc)
    batch = ValidatedBatch(imu=[], metrics=[], accepted=[], rejected=[])
    try:
        typed: list[ReadingIn | None] = msgspec.convert(items, list[ReadingIn])
        failures: dict[int, dict[str, list[str]]] = {}
    except msgspec.ValidationError:
        typed, failures = [], {}
        for index, item in enumerate(items):
            try:
                typed.append(msgspec.convert(item, ReadingIn))
            except msgspec.ValidationError as exc:
                field, message = _field_path(str(exc))
                typed.append(None)
                failures[index] = {field: [message]}

    for index, reading in enumerate(typed):
        if reading is None:
            batch.rejected.append({"index": index, "errors": failures[index]})
            continue
        errors, moment = _reading_check(reading, now)
        if errors:
            batch.rejected.append({"index": index, "errors": errors})
            continue
        wire: dict[str, Any] = {"sensor_id": reading.sensor_id, "timestamp": timestamp_format(moment)}
        if reading.blink is not None:
            row = blink_row(reading.sensor_id, moment, reading.blink)
            batch.blinks.append(row)
            wire["blink"] = blink_wire(row)
        elif reading.metrics:
            wire["metrics"] = dict(reading.metrics)
            batch.metrics.extend(
                MetricRow(reading.sensor_id, moment, name, float(value)) for name, value in reading.metrics.items()
            )
        else:
            accel, gyro = reading.acceleration, reading.gyroscope
            wire["acceleration"] = {"x": accel.x, "y": accel.y, "z": accel.z}
            wire["gyroscope"] = {"x": gyro.x, "y": gyro.y, "z": gyro.z}
            batch.imu.append(ImuRow(reading.sensor_id, moment, (accel.x, accel.y, accel.z),
                                    (gyro.x, gyro.y, gyro.z), reading.battery_level, reading.signal_strength))
        if reading.battery_level is not None:
            wire["battery_level"] = reading.battery_level
        if reading.signal_strength is not None:
            wire["signal_strength"] = reading.signal_strength
        batch.accepted.append((index, reading.sensor_id, wire))
    return batch
