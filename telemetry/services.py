"""Writes of readings. Only the cold path (worker task or embedded ingest) calls these."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from sensors.models import Sensor
from telemetry.blink.services import blink_records_write
from telemetry.blink.wire import BlinkRow, blinks_decode, blinks_encode
from telemetry.models import ImuReading, MetricReading
from telemetry.schema import ImuRow, MetricRow


def batch_encode(*, imu: list[ImuRow], metrics: list[MetricRow], source: str,
                 blinks: list[BlinkRow] = ()) -> dict[str, Any]:
    """A JSON-safe form of a validated batch for the broker."""
    return {
        "source": source,
        "imu": [[r.sensor_id, r.timestamp.isoformat(), *r.accel, *r.gyro, r.battery_level, r.signal_strength]
                for r in imu],
        "metrics": [[r.sensor_id, r.timestamp.isoformat(), r.name, r.value] for r in metrics],
        "blinks": blinks_encode(blinks),
    }


def batch_decode(payload: dict[str, Any]) -> tuple[list[ImuRow], list[MetricRow], list[BlinkRow]]:
    imu = [ImuRow(row[0], datetime.fromisoformat(row[1]), tuple(row[2:5]), tuple(row[5:8]), row[8], row[9])
           for row in payload.get("imu", [])]
    metrics = [MetricRow(row[0], datetime.fromisoformat(row[1]), row[2], row[3]) for row in payload.get("metrics", [])]
    return imu, metrics, blinks_decode(payload.get("blinks", []))


def _sensor_state_update(*, imu: list[ImuRow], metrics: list[MetricRow], blinks: list[BlinkRow] = ()) -> None:
    """last_seen, battery and signal move forward once per sensor per batch."""
    latest: dict[str, dict[str, Any]] = {}
    for row in [*imu, *metrics, *blinks]:
        state = latest.setdefault(row.sensor_id, {"last_seen": row.timestamp})
        if row.timestamp >= state["last_seen"]:
            state["last_seen"] = row.timestamp
        if isinstance(row, ImuRow):
            for name in ("battery_level", "signal_strength"):
                value = getattr(row, name)
                if value is not None and row.timestamp >= state.get(f"{name}_at", row.timestamp):
                    state[name], state[f"{name}_at"] = value, row.timestamp
    for sensor_id, state in latest.items():
        changes = {key: value for key, value in state.items() if not key.endswith("_at")}
        Sensor.objects.filter(pk=sensor_id).filter(
            Q(last_seen__isnull=True) | Q(last_seen__lte=state["last_seen"])
        ).update(**changes)


@transaction.atomic
def readings_write(*, imu: list[ImuRow], metrics: list[MetricRow], blinks: list[BlinkRow] = ()) -> None:
    """Store a validated batch; readings already stored are skipped, so a redelivered
    batch writes nothing twice."""
    ImuReading.objects.bulk_create(
        [ImuReading(sensor_id=r.sensor_id, timestamp=r.timestamp, accel_x=r.accel[0], accel_y=r.accel[1],
                    accel_z=r.accel[2], gyro_x=r.gyro[0], gyro_y=r.gyro[1], gyro_z=r.gyro[2],
                    battery_level=r.battery_level, signal_strength=r.signal_strength) for r in imu],
        batch_size=1000, ignore_conflicts=True)
    MetricReading.objects.bulk_create(
        [MetricReading(sensor_id=r.sensor_id, timestamp=r.timestamp, name=r.name, value=r.value) for r in metrics],
        batch_size=1000, ignore_conflicts=True)
    blink_records_write(rows=blinks)
    _sensor_state_update(imu=imu, metrics=metrics, blinks=blinks)
