"""The one ingest function. HTTP, device WebSocket, BLE and the seed routes all call it.

    accept → 1 validate (compiled schema, per-reading errors, the caller's rights)
           → 2 "accepted" hook (telemetry/hooks.py): the live broadcast to viewers
             (never waits for the database)
           → 3 cold path (telemetry/coldpath.py): hand the batch durably to the writer

It returns only once step 3 is durable, so an acknowledgement to a device means the
readings will be stored.
"""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import msgspec
from asgiref.sync import sync_to_async

from sensors.models import Sensor, SensorStatus
from telemetry import coldpath, hooks
from telemetry.coldpath import ColdPathUnavailable
from telemetry.schema import ValidatedBatch, readings_decode, readings_validate
from users.models import User

__all__ = ["BatchTooLarge", "ColdPathUnavailable", "IngestResult", "MalformedJson", "PayloadInvalid",
           "accept", "accept_async", "accept_async_begin", "payload_decode"]

MAX_BATCH_READINGS = 10_000


class BatchTooLarge(Exception):
    pass


class PayloadInvalid(Exception):
    """The payload is not a reading, a list of readings or {"readings": [...]}."""


@dataclass
class IngestResult:
    accepted: int
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": self.rejected}


class MalformedJson(ValueError):
    pass


def payload_decode(raw: bytes) -> Any:
    """Decode a request body with msgspec (fast); fall back to the stdlib only to let NaN
    and Infinity through, so they are rejected per reading with a reason."""
    if not raw:
        raise MalformedJson("Request body is empty; send JSON.")
    typed = readings_decode(raw)
    if typed is not None:
        return typed
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError:
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedJson(f"Malformed JSON: {exc}") from exc


def readings_unpack(payload: Any) -> list[Any]:
    """A batch `{"readings": [...]}`, a bare array, or a single reading object."""
    if isinstance(payload, dict) and "readings" in payload:
        payload = payload["readings"]
        if not isinstance(payload, list):
            raise PayloadInvalid("`readings` must be an array of readings.")
        return payload
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        return [payload]
    raise PayloadInvalid("Expected a reading object, an array of readings, or {\"readings\": [...]}.")


def _sensors_allowed(sensor_ids: set[str], *, device: Sensor | None, user: User | None) -> dict[str, str | None]:
    """For each sensor id: None if the caller may write to it, else the reason it may not."""
    if device is not None:
        return {sid: None if sid == device.pk else "A device token may only send its own sensor's readings."
                for sid in sensor_ids}
    sensors = Sensor.objects.filter(pk__in=sensor_ids)
    if user is not None and not user.is_staff:
        sensors = sensors.filter(owner=user)
    statuses = dict(sensors.values_list("pk", "status"))
    verdict: dict[str, str | None] = {}
    for sid in sensor_ids:
        if sid not in statuses:
            verdict[sid] = "Unknown sensor."
        elif statuses[sid] == SensorStatus.INACTIVE:
            verdict[sid] = "Sensor is inactive; activate it to accept readings."
        else:
            verdict[sid] = None
    return verdict


def _checked(items: list[Any], *, verdict_of) -> tuple[ValidatedBatch, IngestResult]:
    """Validate a batch and drop the readings of sensors the caller may not write to.
    `verdict_of(sensor_ids)` says, per sensor, why not (or None)."""
    batch = readings_validate(items)
    verdict = verdict_of({sid for _, sid, _ in batch.accepted})
    refused = {sid for sid, reason in verdict.items() if reason}
    if refused:
        batch.rejected.extend(
            {"index": index, "errors": {"sensor_id": [verdict[sid]]}}
            for index, sid, _ in batch.accepted if sid in refused)
        batch.accepted = [entry for entry in batch.accepted if entry[1] not in refused]
        batch.imu = [row for row in batch.imu if row.sensor_id not in refused]
        batch.metrics = [row for row in batch.metrics if row.sensor_id not in refused]
        batch.blinks = [row for row in batch.blinks if row.sensor_id not in refused]
        batch.links = [row for row in batch.links if row.sensor_id not in refused]
        batch.rejected.sort(key=lambda entry: entry["index"])
    return batch, IngestResult(accepted=len(batch.accepted), rejected=batch.rejected)


def _batch_items(payload: Any) -> list[Any]:
    items = readings_unpack(payload)
    if len(items) > MAX_BATCH_READINGS:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH_READINGS} readings; got {len(items)}.")
    return items


def _inactive_device_result(items: list[Any], device: Sensor | None) -> IngestResult | None:
    if device is None or device.status != SensorStatus.INACTIVE:
        return None
    return IngestResult(accepted=0, rejected=[
        {"index": i, "errors": {"sensor_id": ["Sensor is inactive; activate it to accept readings."]}}
        for i in range(len(items))])


def _refused_or_checked(items: list[Any], *, device: Sensor | None,
                        user: User | None) -> tuple[ValidatedBatch | None, IngestResult]:
    if refused := _inactive_device_result(items, device):
        return None, refused
    return _checked(items, verdict_of=lambda ids: _sensors_allowed(ids, device=device, user=user))


def accept(*, payload: Any, source: str, device: Sensor | None = None, user: User | None = None) -> IngestResult:
    """Validate, announce and durably hand over readings.

    Exactly one of `device` (a device token's sensor) or `user` (a signed-in person)
    names the caller; with neither, the caller is trusted in-process code (the BLE
    gateway, the simulator) and any registered, active sensor is accepted.
    """
    batch, result = _refused_or_checked(_batch_items(payload), device=device, user=user)
    if batch is not None and batch.accepted:
        hooks.accepted.send(readings=[reading for _, _, reading in batch.accepted], source=source)
        coldpath.hand_over(coldpath.batch_build(validated=batch, source=source))
    return result


async def accept_async(*, payload: Any, source: str, device: Sensor | None = None,
                       user: User | None = None) -> IngestResult:
    """`accept` for callers on an event loop (the HTTP fast path): the CPU work runs
    inline, the database and the broker publish off the loop."""
    result, durable = await accept_async_begin(payload=payload, source=source, device=device, user=user)
    if durable is not None:
        await durable
    return result


async def accept_async_begin(*, payload: Any, source: str, device: Sensor | None = None,
                             user: User | None = None) -> tuple[IngestResult, asyncio.Future | None]:
    """Validate and announce now; return the result and a future that completes once the
    cold path holds the batch durably (None when nothing was accepted), or raises
    ColdPathUnavailable. A device socket reads its next frame while that future is
    pending: the broadcast never waits for the hand-over, and acks still mean durable."""
    items = _batch_items(payload)
    if device is not None:  # a device's verdict needs no database
        batch, result = _refused_or_checked(items, device=device, user=user)
    else:
        batch, result = await sync_to_async(_refused_or_checked)(items, device=device, user=user)
    if batch is None or not batch.accepted:
        return result, None
    await hooks.accepted.asend(readings=[reading for _, _, reading in batch.accepted], source=source)
    return result, coldpath.hand_over_async(coldpath.batch_build(validated=batch, source=source))
