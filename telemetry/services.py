"""Writes of readings. Only the cold path (worker task or embedded ingest) calls these."""

from datetime import datetime
from typing import Any

import msgspec
from django.db import transaction
from django.db.models import Q

from sensors.models import Sensor
from telemetry import storage
from telemetry.schema import ImuRow, MetricRow
from telemetry.storage import StorageBatch


_rows_encoder = msgspec.json.Encoder()


def _rows_text(rows: list) -> str:
    return _rows_encoder.encode(rows).decode() if rows else ""


def batch_encode(*, imu: list[ImuRow], metrics: list[MetricRow], source: str) -> StorageBatch:
    """A validated batch as the broker carries it: rows as compact JSON arrays plus each sensor's state."""
    return StorageBatch(imu=_rows_text(imu), metrics=_rows_text(metrics),
                        sensors=_sensor_states(imu=imu, metrics=metrics), source=source)


def _sensor_states(*, imu: list[ImuRow], metrics: list[MetricRow]) -> list[list[Any]]:
    """Per sensor: the newest timestamp, and battery and signal from the newest reading that has them."""
    latest: dict[str, list[Any]] = {}
    for row in [*imu, *metrics]:
        # [sensor_id, last_seen, battery, signal, battery_at, signal_at]
        state = latest.setdefault(row.sensor_id, [row.sensor_id, row.timestamp, None, None, None, None])
        if row.timestamp > state[1]:
            state[1] = row.timestamp
        if isinstance(row, ImuRow):
            if row.battery_level is not None and (state[4] is None or row.timestamp >= state[4]):
                state[2], state[4] = row.battery_level, row.timestamp
            if row.signal_strength is not None and (state[5] is None or row.timestamp >= state[5]):
                state[3], state[5] = row.signal_strength, row.timestamp
    return [[sensor_id, last_seen.isoformat(), battery, signal]
            for sensor_id, last_seen, battery, signal, _, _ in latest.values()]


def _sensor_state_update(*, sensors: list[list[Any]]) -> None:
    """last_seen, battery and signal move forward once per sensor per batch, never back."""
    for sensor_id, last_seen_text, battery, signal in sensors:
        last_seen = datetime.fromisoformat(last_seen_text)
        changes: dict[str, Any] = {"last_seen": last_seen}
        if battery is not None:
            changes["battery_level"] = battery
        if signal is not None:
            changes["signal_strength"] = signal
        Sensor.objects.filter(pk=sensor_id).filter(
            Q(last_seen__isnull=True) | Q(last_seen__lte=last_seen)).update(**changes)


@transaction.atomic
def readings_write(*, batch: StorageBatch) -> dict[str, int]:
    """Store a validated batch; readings already stored are skipped, so a redelivered
    batch writes nothing twice."""
    written = {"imu": storage.rows_store(table=storage.IMU_TABLE, rows=batch.imu),
               "metrics": storage.rows_store(table=storage.METRIC_TABLE, rows=batch.metrics)}
    _sensor_state_update(sensors=batch.sensors or [])
    return written
