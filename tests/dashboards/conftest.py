"""Readings for the dashboard tests, sent through the one ingest path."""

import pytest

from telemetry import ingest
from tests.dashboards.readings import imu_reading


@pytest.fixture
def send_readings():
    def send(owner, readings: list[dict]) -> None:
        result = ingest.accept(payload=readings, source="test", user=owner)
        assert result.rejected == [], result.rejected

    return send


@pytest.fixture
def motion_history(send_readings, user):
    """imu-forklift: one reading a minute for three hours, with a spike 90 minutes ago."""
    def make(sensor_id: str = "imu-forklift") -> None:
        readings = [imu_reading(sensor_id, minute * 60, battery_level=80, signal_strength=-60)
                    for minute in range(1, 181)]
        readings[89]["acceleration"]["x"] = 25.0
        send_readings(user, readings)

    return make
