"""The cold path: a validated batch goes from ingest to the database, durably.

    ingest.accept → batch_build → hand_over / hand_over_async
        embedded (Celery eager): batch_write in this process
        services: ONE group publisher → broker (one message per group, msgspec JSON)
                  → worker task workers.tasks.readings.readings_write_batch
                  → batch_decode → batch_write
    batch_write: one transaction: COPY of the rows (storage.rows_store), blink records,
                 sensor state (sensors.services.sensor_state_advance), then after the commit
                 the "written" hook (telemetry/hooks.py) with the typed rows.

The batch is typed end to end (`ColdBatch`, msgspec Structs): encoded once when published,
decoded once by the worker, straight into the rows COPY writes.
"""

import asyncio
import logging
from datetime import datetime

import msgspec
from asgiref.sync import sync_to_async
from celery import current_app
from django.db import DatabaseError, transaction
from kombu.exceptions import OperationalError as BrokerError

from core.group_commit import GroupPublisher
from sensors.models import Sensor
from sensors.services import sensor_state_advance
from telemetry import hooks, storage
from telemetry.blink.wire import BlinkRow
from telemetry.models import BlinkRecord
from telemetry.schema import ImuRow, LinkRow, MetricRow, ValidatedBatch

logger = logging.getLogger(__name__)

WRITE_TASK = "workers.tasks.readings.readings_write_batch"
BROKER_UNAVAILABLE = "The message broker is unavailable; retry later."
DATABASE_UNAVAILABLE = "The database is unavailable; retry later."


class ColdPathUnavailable(Exception):
    """The batch could not be handed to storage (broker or database down): nothing was
    acknowledged, the caller should retry."""


class SensorState(msgspec.Struct, array_like=True, gc=False):
    """What one batch says about a sensor: its newest reading's time, and battery and signal
    from the newest reading that carried them."""
    sensor_id: str
    last_seen: datetime
    battery_level: int | None = None
    signal_strength: int | None = None


class ColdBatch(msgspec.Struct, gc=False):
    imu: list[ImuRow] = []
    metrics: list[MetricRow] = []
    blinks: list[BlinkRow] = []
    sensors: list[SensorState] = []
    source: str = ""

    def counts(self) -> dict[str, int]:
        return {"imu": len(self.imu), "metrics": len(self.metrics), "blinks": len(self.blinks)}


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ColdBatch)


def batch_encode(batch: ColdBatch) -> str:
    """The broker message: JSON text (Celery's JSON serializer carries it as one string)."""
    return _encoder.encode(batch).decode()


def batch_decode(message: str) -> ColdBatch:
    return _decoder.decode(message)


# --- Building and merging batches ---------------------------------------------------------

def _states(rows, *, into: dict[str, list], linked: bool) -> None:
    # [last_seen, battery, battery_at, signal, signal_at] per sensor; `linked` rows carry
    # battery_level and signal_strength
    for row in rows:
        at = row.timestamp
        state = into.get(row.sensor_id)
        if state is None:
            state = into[row.sensor_id] = [at, None, None, None, None]
        elif at > state[0]:
            state[0] = at
        if not linked:
            continue
        battery, signal = row.battery_level, row.signal_strength
        if battery is not None and (state[2] is None or at >= state[2]):
            state[1], state[2] = battery, at
        if signal is not None and (state[4] is None or at >= state[4]):
            state[3], state[4] = signal, at


def sensor_states(*, imu: list[ImuRow], metrics: list[MetricRow] = (), blinks: list[BlinkRow] = (),
                  links: list[LinkRow] = ()) -> list[SensorState]:
    """One state per sensor, from every reading kind (a metric or blink reading's battery and
    signal arrive as LinkRows)."""
    latest: dict[str, list] = {}
    for rows, linked in ((imu, True), (metrics, False), (blinks, False), (links, True)):
        _states(rows, into=latest, linked=linked)
    return [SensorState(sensor_id, last_seen, battery, signal)
            for sensor_id, (last_seen, battery, _, signal, _) in latest.items()]


def batch_build(*, validated: ValidatedBatch, source: str) -> ColdBatch:
    return ColdBatch(imu=validated.imu, metrics=validated.metrics, blinks=validated.blinks, source=source,
                     sensors=sensor_states(imu=validated.imu, metrics=validated.metrics, blinks=validated.blinks,
                                           links=validated.links))


def _states_merge(states: list[SensorState]) -> list[SensorState]:
    """The newest state per sensor; battery and signal from the newest that has them."""
    merged: dict[str, SensorState] = {}
    for state in sorted(states, key=lambda each: each.last_seen):
        kept = merged.get(state.sensor_id)
        if kept is None:
            merged[state.sensor_id] = SensorState(state.sensor_id, state.last_seen, state.battery_level,
                                                  state.signal_strength)
            continue
        kept.last_seen = state.last_seen
        if state.battery_level is not None:
            kept.battery_level = state.battery_level
        if state.signal_strength is not None:
            kept.signal_strength = state.signal_strength
    return list(merged.values())


def batches_merge(batches: list[ColdBatch]) -> ColdBatch:
    """One batch holding several (rows stored once each: the writer skips duplicates)."""
    if len(batches) == 1:
        return batches[0]
    return ColdBatch(imu=[row for batch in batches for row in batch.imu],
                     metrics=[row for batch in batches for row in batch.metrics],
                     blinks=[row for batch in batches for row in batch.blinks],
                     sensors=_states_merge([state for batch in batches for state in batch.sensors]),
                     source=",".join(sorted({batch.source for batch in batches})))


# --- Writing (the worker task, or ingest itself in embedded mode) --------------------------

def _blinks_store(*, rows: list[BlinkRow]) -> int:
    """Blink records (not a time-partitioned table: they are few); a client id already
    stored is skipped. Returns how many rows were handed in."""
    if not rows:
        return 0
    owners = dict(Sensor.objects.filter(pk__in={r.sensor_id for r in rows}).values_list("pk", "owner_id"))
    BlinkRecord.objects.bulk_create(
        [BlinkRecord(sensor_id=r.sensor_id, user_id=owners[r.sensor_id], client_id=r.client_id,
                     timestamp=r.timestamp, blink_count=r.blink_count, interval_s=r.interval_s, extras=r.extras)
         for r in rows if r.sensor_id in owners],
        batch_size=1000, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def batch_write(*, batch: ColdBatch) -> dict[str, int]:
    """Store a batch in one transaction; readings already stored are skipped, so a
    redelivered batch writes nothing twice. The "written" hook fires after the commit."""
    written = {"imu": storage.rows_store(table=storage.IMU_TABLE, rows=batch.imu),
               "metrics": storage.rows_store(table=storage.METRIC_TABLE, rows=batch.metrics),
               "blinks": _blinks_store(rows=batch.blinks)}
    for state in batch.sensors:
        sensor_state_advance(sensor_id=state.sensor_id, last_seen=state.last_seen,
                             battery_level=state.battery_level, signal_strength=state.signal_strength)
    transaction.on_commit(lambda: hooks.written.send(batch=batch))
    return written


# --- Hand-over: eager write, or one grouped broker publish ---------------------------------

def _eager() -> bool:
    return current_app.conf.task_always_eager


def _embedded_write(batch: ColdBatch) -> None:
    try:
        batch_write(batch=batch)
    except DatabaseError as exc:
        raise ColdPathUnavailable(DATABASE_UNAVAILABLE) from exc


def _broker_publish(batches: list[ColdBatch]) -> None:
    # The broker confirms every publish (confirm_publish), so once delay() returns it holds the batch.
    current_app.tasks[WRITE_TASK].delay(batch_encode(batches_merge(batches)))


# Concurrent callers in one process (many device sockets, many request threads) share a publish.
_publisher = GroupPublisher(_broker_publish)


def hand_over(batch: ColdBatch) -> None:
    """Return once the batch is durable (written, or held by the broker); else ColdPathUnavailable."""
    if _eager():
        _embedded_write(batch)
        return
    try:
        _publisher.submit(batch)
    except (BrokerError, OSError) as exc:
        raise ColdPathUnavailable(BROKER_UNAVAILABLE) from exc


async def _published(future: asyncio.Future) -> None:
    try:
        await future
    except (BrokerError, OSError) as exc:
        raise ColdPathUnavailable(BROKER_UNAVAILABLE) from exc


def hand_over_async(batch: ColdBatch) -> asyncio.Future:
    """`hand_over` for a caller on an event loop: a future that completes once the batch is
    durable, so the caller may go on (read its next frame) meanwhile."""
    if _eager():
        return asyncio.ensure_future(sync_to_async(_embedded_write)(batch))
    return asyncio.ensure_future(_published(_publisher.submit_async(batch)))
