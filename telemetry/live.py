"""The hot path: readings go to the channel-layer group of their sensor at once."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def sensor_group(sensor_id: str) -> str:
    return f"sensor.{sensor_id}"


def _messages_by_sensor(readings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for wire in readings:
        grouped.setdefault(wire["sensor_id"], []).append(wire)
    return grouped


async def readings_broadcast_async(*, readings: list[dict[str, Any]]) -> None:
    layer = get_channel_layer()
    for sensor_id, group_readings in _messages_by_sensor(readings).items():
        await layer.group_send(sensor_group(sensor_id), {"type": "readings.live", "readings": group_readings})


def readings_broadcast(*, readings: list[dict[str, Any]]) -> None:
    async_to_sync(readings_broadcast_async)(readings=readings)
