"""The `blink` reading kind: what a blink record looks like inside telemetry ingest.

The blink API turns each record into a reading `{"sensor_id", "timestamp", "blink": {...}}`
so it takes the one ingest path (validated, broadcast live, handed to the writer).
"""

import math
import uuid
from datetime import datetime

import msgspec

MAX_INTERVAL_S = 24 * 3600
MAX_BLINKS_PER_MINUTE = 200  # far above any human rate; more is a broken counter
MAX_EXTRAS = 20
MAX_EXTRA_TEXT = 200

ExtraValue = str | int | float | bool | None


class BlinkIn(msgspec.Struct):
    client_id: uuid.UUID
    blink_count: int
    interval_s: float
    extras: dict[str, ExtraValue] = {}


class BlinkRow(msgspec.Struct, array_like=True, frozen=True, gc=False):
    sensor_id: str
    timestamp: datetime
    client_id: uuid.UUID
    blink_count: int
    interval_s: float
    extras: dict[str, ExtraValue]


def blink_check(blink: BlinkIn) -> dict[str, list[str]]:
    """Per-field problems of a typed blink (field names as the client sent them)."""
    errors: dict[str, list[str]] = {}
    if not math.isfinite(blink.interval_s) or not 0 < blink.interval_s <= MAX_INTERVAL_S:
        errors["interval_s"] = [f"Must be more than 0 and at most {MAX_INTERVAL_S} seconds."]
    if blink.blink_count < 0:
        errors["blink_count"] = ["Must be 0 or more."]
    elif "interval_s" not in errors and blink.blink_count > MAX_BLINKS_PER_MINUTE * blink.interval_s / 60:
        errors["blink_count"] = [f"More than {MAX_BLINKS_PER_MINUTE} blinks per minute of interval_s; "
                                 "is the counter or the interval wrong?"]
    if len(blink.extras) > MAX_EXTRAS:
        errors["extras"] = [f"At most {MAX_EXTRAS} extra fields."]
    else:
        for name, value in blink.extras.items():
            if len(name) > 64 or (isinstance(value, str) and len(value) > MAX_EXTRA_TEXT):
                errors[name[:64]] = [f"Extra field names up to 64 characters, text values up to {MAX_EXTRA_TEXT}."]
            elif isinstance(value, float) and not math.isfinite(value):
                errors[name] = ["Values must be finite numbers (no NaN or Infinity)."]
    return errors


def blink_row(sensor_id: str, timestamp: datetime, blink: BlinkIn) -> BlinkRow:
    return BlinkRow(sensor_id, timestamp, blink.client_id, blink.blink_count, float(blink.interval_s),
                    dict(blink.extras))
