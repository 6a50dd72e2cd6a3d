"""Rows as the cold path hands them to the "written" hook, and rules made through the service."""

from datetime import datetime, timedelta, timezone

from alerts.services import rule_create
from telemetry.schema import ImuRow, MetricRow

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def imu_row(sensor_id: str, seconds: float, *, z: float = 9.81, battery: int | None = None) -> ImuRow:
    return ImuRow(sensor_id, at(seconds), 0.0, 0.0, z, 0.0, 0.0, 0.0, battery, -60)


def metric_row(sensor_id: str, seconds: float, name: str, value: float) -> MetricRow:
    return MetricRow(sensor_id, at(seconds), name, value)


def rule_make(*, owner, sensor=None, **fields):
    fields.setdefault("name", "Test rule")
    if sensor is not None:
        fields["sensor"] = sensor
    return rule_create(owner=owner, **fields)
