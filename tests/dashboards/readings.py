"""Readings for the dashboard tests, in the wire format."""

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
