"""The bridge's side of the device connection: what every transport shares (the one ingest
function and its outcomes through transports/devices.py, presence and commands from the
registry), seen from MQTT.

The broker authenticated the device (its token is its MQTT password) and its ACL let it
publish only to its own topics, so the sensor is the one the topic names.
"""

import asyncio
import time
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from core.websocket import in_thread
from sensors import presence
from sensors.models import Command, Sensor
from sensors.selectors import command_sensor_id, commands_queued_held_by, sensor_find
from sensors.services import command_claim_for_delivery, commands_claim_pending
from sensors.services import command_complete as command_record
from telemetry import ingest
from telemetry.ingest import ColdPathUnavailable, IngestResult
from transports import devices

__all__ = ["ColdPathUnavailable", "DeviceDirectory", "FrameRefused", "ack_frame", "command_complete",
           "command_frame", "frame_begin"]
SOURCE = "mqtt"
SENSOR_CACHE_S = 5.0  # a deactivated or deleted sensor is also cut off at the broker at once


class FrameRefused(Exception):
    """The readings are not a batch ingest can take (too many, not a list); `errors` says why,
    as every transport says it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


async def frame_begin(*, readings: list[Any], sensor: Sensor) -> tuple[IngestResult, asyncio.Future | None]:
    """Validate and broadcast now; the future completes once the batch is durable."""
    try:
        return await ingest.accept_async_begin(payload={"readings": readings}, source=SOURCE, device=sensor)
    except (ingest.BatchTooLarge, ingest.PayloadInvalid) as exc:
        raise FrameRefused(devices.ingest_outcome(error=exc).field_errors) from exc


def ack_frame(*, seq: int | None, result: IngestResult) -> dict[str, Any]:
    """The ack-topic message for a frame handed over durably (the WebSocket ack's meaning)."""
    if result.accepted:
        return {"seq": seq, **result.as_dict()}
    return {"seq": seq, "rejected": result.rejected,
            "errors": {"readings": ["Every reading in the frame was rejected."]}}


def command_frame(command: Command) -> dict[str, Any]:
    return {"type": "command", "id": str(command.pk), "name": command.name, "params": command.params}


async def command_complete(*, sensor_id: str, result) -> bool:
    return await in_thread(command_record)(command_id=result.command_id, sensor_id=sensor_id,
                                           succeeded=result.succeeded, reply=result.reply)


class DeviceDirectory:
    """The sensors this bridge has heard of, the devices it holds (presence), and the
    channel-layer address commands for them are sent to."""

    def __init__(self):
        self._sensors: dict[str, tuple[Sensor | None, float]] = {}
        self.channel = ""
        self._command_ids: asyncio.Queue[str] = asyncio.Queue()

    async def start(self) -> None:
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel("mqtt-bridge.")
        asyncio.ensure_future(self._channel_loop())

    async def _channel_loop(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            if message.get("type") == "device.command" and message.get("id"):
                self._command_ids.put_nowait(str(message["id"]))

    async def sensor(self, sensor_id: str) -> Sensor | None:
        cached = self._sensors.get(sensor_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        sensor = await in_thread(sensor_find)(sensor_id=sensor_id)
        self._sensors[sensor_id] = (sensor, time.monotonic() + SENSOR_CACHE_S)
        return sensor

    async def connected(self, sensor_id: str) -> list[Command]:
        """The device said it is online: hold it here; return its queued commands, now sent."""
        if await self.sensor(sensor_id) is None:
            return []
        await in_thread(presence.presence_connect)(sensor_id=sensor_id, channel=self.channel)
        return await in_thread(commands_claim_pending)(sensor_id=sensor_id)

    async def disconnected(self, sensor_id: str) -> None:
        await in_thread(presence.presence_disconnect)(sensor_id=sensor_id, channel=self.channel)

    async def touch_held(self) -> None:
        await in_thread(presence.presence_touch_held)(channel=self.channel)

    async def commands_due(self) -> list[Command]:
        """Wait for a command posted for a device held here (or the poll interval); claim it."""
        try:
            command_id = await asyncio.wait_for(self._command_ids.get(), settings.MQTT_COMMAND_POLL_S)
        except asyncio.TimeoutError:
            due = await in_thread(commands_queued_held_by)(channel=self.channel)
        else:
            due = [(command_id, await in_thread(command_sensor_id)(command_id=command_id))]
        claimed = []
        for command_id, sensor_id in due:
            if sensor_id and (command := await in_thread(command_claim_for_delivery)(
                    command_id=command_id, sensor_id=sensor_id)):
                claimed.append(command)
        return claimed
