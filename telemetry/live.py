"""The hot path: readings go to the channel-layer group of their sensor at once.

Each reading is encoded to its viewer frame text here, once, in the process that
received it; every viewer consumer only forwards the text (no per-viewer encoding).
"""

from typing import Any

import msgspec
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

LIVE_MESSAGE_TYPE = "readings.live"
_encoder = msgspec.json.Encoder()


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


def readings_broadcast(*, readings: list[dict[str, Any]]) -> None:
    async_to_sync(readings_broadcast_async)(readings=readings)
