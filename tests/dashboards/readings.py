"""Readings and blink records for the dashboard tests, in the wire format."""

import uuid
from datetime import timedelta

from django.utils import timezone


def _millis(seconds_ago: float) -> int:
    return int((timezone.now() - timedelta(seconds=seconds_ago)).timestamp() * 1000)


def imu_reading(sensor_id: str, seconds_ago: float, **extra) -> dict:
    return {"sensor_id": sensor_id, "timestamp": _millis(seconds_ago),
            "acceleration": {"x": 0.0, "y": 0.0, "z": 9.81},
            "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0}, **extra}


def metric_reading(sensor_id: str, seconds_ago: float, **metrics) -> dict:
    return {"sensor_id": sensor_id, "timestamp": _millis(seconds_ago), "metrics": metrics}


def blink_record(seconds_ago: float, *, blink_count: int, interval_s: float = 60) -> dict:
    moment = timezone.now() - timedelta(seconds=seconds_ago)
    return {"client_id": str(uuid.uuid4()), "timestamp": moment.isoformat(),
            "blink_count": blink_count, "interval_s": interval_s}


def imu_frame(sensor_id: str, seq: int, count: int, *, started=None) -> dict:
    """A device's telemetry frame `seq`: `count` readings 10 ms apart, following frame seq − 1."""
    started = started or timezone.now() - timedelta(seconds=5)
    first = started + timedelta(milliseconds=10 * count * seq)
    readings = [{"sensor_id": sensor_id,
                 "timestamp": (first + timedelta(milliseconds=10 * i)).isoformat(),
                 "acceleration": {"x": 0.1 * i, "y": -0.2, "z": 9.81},
                 "gyroscope": {"x": 1.0, "y": 0.0, "z": -0.5 * i},
                 "battery_level": 77, "signal_strength": -55} for i in range(count)]
    return {"type": "telemetry", "seq": seq, "readings": readings}
