"""The hot path: readings go to the channel-layer group of their sensor at once.

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

LIVE_MESSAGE_TYPE = "readings.live"
_encoder = msgspec.json.Encoder()
logger = logging.getLogger(__name__)


def sensor_group(sensor_id: str) -> str:
    return f"sensor.{sensor_id}"


def reading_frame_text(wire: dict[str, Any]) -> str:
    """The viewer frame `{"type": "reading", "sensor_id": ..., ...the reading}` as JSON text."""
    return _encoder.encode({"type": "reading", **wire}).decode()


def _messages_by_sensor(readings: list[dict[str, Any]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for wire in readings:
        grouped.setdefault(wire["sensor_id"], []).append(reading_frame_text(wire))
    return grouped


async def readings_broadcast_async(*, readings: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    for sensor_id, frames in _messages_by_sensor(readings).items():
        await layer.group_send(sensor_group(sensor_id),
                               {"type": LIVE_MESSAGE_TYPE, "sensor_id": sensor_id, "frames": frames})


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server that ran this thread's caller (set by sync_to_async)."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


def _report_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("Live broadcast failed", exc_info=future.exception())


def readings_broadcast(*, readings: list[dict[str, Any]]) -> None:
    """Publish to viewers. Inside a server (a sync_to_async thread) the publish is handed to
    the server's loop and not waited for, so the caller goes on to the cold path at once;
    frames stay in order because the loop runs them first come, first served."""
    loop = _server_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(readings_broadcast_async(readings=readings), loop).add_done_callback(
            _report_failure)
        return
    async_to_sync(readings_broadcast_async)(readings=readings)
