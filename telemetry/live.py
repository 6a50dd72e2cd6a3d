"""The hot path: readings go to the channel-layer group of their sensor at once (a receiver
of the "accepted" hook, telemetry/hooks.py).

Each reading is encoded to its viewer frame text here, once, in the process that
received it; every viewer consumer only forwards the text (no per-viewer encoding).
"""

import asyncio
import logging
import os
from typing import Any

import msgspec
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

from telemetry import hooks

LIVE_MESSAGE_TYPE = "readings.live"
# A reading in its wire form: a dict, or a telemetry.schema.ReadingIn (which encodes the same).
Reading = dict[str, Any] | msgspec.Struct
_encoder = msgspec.json.Encoder()
logger = logging.getLogger(__name__)


def sensor_group(sensor_id: str) -> str:
    return f"sensor.{sensor_id}"


def reading_frame_text(reading: Reading) -> str:
    """The viewer frame `{"type": "reading", "sensor_id": ..., ...the reading}` as JSON text."""
    return reading_frame_texts([reading])[0]


def reading_frame_texts(readings: list[Reading]) -> list[str]:
    """`reading_frame_text` of many readings: one C call encodes them all as JSON lines
    (strings escape their newlines), each then gets its type in front."""
    if not readings:
        return []
    lines = _encoder.encode_lines(readings).decode().split("\n")
    return ['{"type":"reading",' + line[1:] for line in lines[:-1]]


def _messages_by_sensor(readings: list[Reading]) -> dict[str, list[str]]:
    grouped: dict[str, list[Reading]] = {}
    for reading in readings:
        sensor_id = reading["sensor_id"] if isinstance(reading, dict) else reading.sensor_id
        grouped.setdefault(sensor_id, []).append(reading)
    return {sensor_id: reading_frame_texts(group) for sensor_id, group in grouped.items()}


async def readings_broadcast_async(*, readings: list[Reading]) -> None:
    """One group message per sensor, all sent together (one Redis pipeline with the
    pipelined layer, not a round trip per sensor); each sensor's frames keep their order."""
    layer = get_channel_layer()
    await asyncio.gather(*(
        layer.group_send(sensor_group(sensor_id), {"type": LIVE_MESSAGE_TYPE, "sensor_id": sensor_id, "frames": frames})
        for sensor_id, frames in _messages_by_sensor(readings).items()))


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server that ran this thread's caller (set by sync_to_async)."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _report_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("Live broadcast failed", exc_info=future.exception())


def readings_broadcast(*, readings: list[Reading]) -> None:
    """Publish to viewers. Inside a server (a sync_to_async thread) the publish is handed to
    the server's loop and not waited for, so the caller goes on to the cold path at once;
    frames stay in order because the loop runs them first come, first served."""
    loop = _server_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(readings_broadcast_async(readings=readings), loop).add_done_callback(
            _report_failure)
        return
    async_to_sync(readings_broadcast_async)(readings=readings)


def _on_accepted(*, readings: list[Reading], source: str) -> None:
    readings_broadcast(readings=readings)


async def _on_accepted_async(*, readings: list[Reading], source: str) -> None:
    await readings_broadcast_async(readings=readings)


hooks.accepted.connect(_on_accepted, async_receiver=_on_accepted_async)
