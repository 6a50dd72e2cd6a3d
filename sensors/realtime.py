"""Channel-layer messages about sensors: the fleet status stream and the device sockets.

Callable from any sync code (API views, services run in threads, Celery tasks). The
group and message names here are the contract with the consumers in telemetry.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

FLEET_STAFF_GROUP = "fleet.staff"


def fleet_group(*, user_id: int) -> str:
    return f"fleet.user.{user_id}"


def _timestamp(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def sensor_status_event(*, sensor) -> dict[str, Any]:
    """The viewer frame `{"type": "status", ...}` describing a sensor's presence and state."""
    return {
        "type": "status",
        "sensor_id": sensor.pk,
        "online": sensor.online,
        "status": sensor.status,
        "connected_since": _timestamp(sensor.connected_since),
        "last_message_at": _timestamp(sensor.last_message_at),
        "last_seen": _timestamp(sensor.last_seen),
    }


async def fleet_status_publish_async(*, sensor) -> None:
    layer = get_channel_layer()
    message = {"type": "fleet.status", "event": sensor_status_event(sensor=sensor)}
    for group in (fleet_group(user_id=sensor.owner_id), FLEET_STAFF_GROUP):
        await layer.group_send(group, message)


def fleet_status_publish(*, sensor) -> None:
    async_to_sync(fleet_status_publish_async)(sensor=sensor)


def device_channel_send(*, channel: str, message: dict[str, Any]) -> None:
    """Send to the socket holding a device, on whichever server process it lives."""
    async_to_sync(get_channel_layer().send)(channel, message)
