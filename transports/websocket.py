"""The device WebSocket transport: `/ws/devices/<sensor_id>/`, telemetry up, commands down.
A thin adapter: token, ingest and outcome → frame go through transports/devices.py."""

import asyncio
import logging
import time
import uuid
from typing import Any

import msgspec
from django.conf import settings

from core.websocket import CloseCode, JsonTextConsumer, header_value, in_thread
from sensors import presence
from sensors.authentication import device_token_from_header
from sensors.models import Sensor
from sensors.services import command_claim_for_delivery, command_complete, commands_claim_pending
from telemetry import ingest
from transports import devices

logger = logging.getLogger(__name__)


# --- Device gateway -------------------------------------------------------------------------

class DeviceGatewayConsumer(JsonTextConsumer):
    """`/ws/devices/<sensor_id>/`: one device's socket.

    Authenticated by `Authorization: Device <token>` or a first `{"type": "auth", "token"}`
    frame. Telemetry frames go through the one ingest path; a frame is acked only once
    accept() has handed it durably to the cold path, so a device resends exactly what was
    not acked (and storage ignores what it already has).
    """

    sensor: Sensor | None = None

    async def connect(self):
        self.sensor_id = self.scope["url_route"]["kwargs"]["sensor_id"]
        self.last_heard = time.monotonic()
        self.last_presence_write = 0.0
        self.background: set[asyncio.Task] = set()
        await self.accept()
        token = device_token_from_header(header_value(self.scope, b"authorization"))
        if token is not None:
            await self.authenticate(token)
        else:
            self.spawn(self.auth_deadline())

    def spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def auth_deadline(self) -> None:
        await asyncio.sleep(settings.DEVICE_AUTH_TIMEOUT)
        if self.sensor is None:
            await self.close(CloseCode.UNAUTHORIZED)

    async def authenticate(self, token: str) -> None:
        sensor = await devices.device_tokens.sensor_for(token)
        if sensor is None:
            await self.close(CloseCode.UNAUTHORIZED)
            return
        if sensor.pk != self.sensor_id:
            await self.close(CloseCode.FORBIDDEN)
            return
        self.sensor = sensor
        previous_channel = await in_thread(presence.presence_connect)(sensor_id=sensor.pk, channel=self.channel_name)
        if previous_channel:
            await self.channel_layer.send(previous_channel, {"type": "device.replaced"})
        await self.send_frame({"type": "ready", "sensor_id": sensor.pk,
                               "ping_interval": settings.DEVICE_PING_INTERVAL,
                               "idle_timeout": settings.DEVICE_IDLE_TIMEOUT})
        self.acks_due: asyncio.Queue = asyncio.Queue(maxsize=settings.DEVICE_MAX_UNACKED_FRAMES)
        self.spawn(self.ack_loop())
        self.spawn(self.watchdog())
        for command in await in_thread(commands_claim_pending)(sensor_id=sensor.pk):
            await self.send_command(command)

    async def watchdog(self) -> None:
        """Ping a quiet device; close (4408) and mark offline one that stays silent."""
        ping_interval, idle_timeout = settings.DEVICE_PING_INTERVAL, settings.DEVICE_IDLE_TIMEOUT
        tick = min(ping_interval, idle_timeout) / 4
        last_ping = 0.0
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            silent = now - self.last_heard
            if silent >= idle_timeout:
                await self.go_offline()
                await self.close(CloseCode.IDLE)
                return
            if silent >= ping_interval and now - last_ping >= ping_interval:
                last_ping = now
                await self.send_frame({"type": "ping"})

    async def go_offline(self) -> None:
        if self.sensor is not None:
            await in_thread(presence.presence_disconnect)(sensor_id=self.sensor.pk, channel=self.channel_name)

    async def disconnect(self, code):
        for task in list(self.background):
            task.cancel()
        await self.go_offline()

    async def receive(self, text_data=None, bytes_data=None):
        self.last_heard = time.monotonic()
        try:
            frame = msgspec.json.decode(text_data if text_data is not None else bytes_data)
        except msgspec.DecodeError:
            frame = None
        if not isinstance(frame, dict):
            await self.send_frame({"type": "error", "errors": {"frame": ["Expected a JSON object."]}})
            return
        kind = frame.get("type")
        if self.sensor is None:
            if kind == "auth" and isinstance(frame.get("token"), str):
                await self.authenticate(frame["token"])
            else:
                await self.close(CloseCode.UNAUTHORIZED)
            return
        if kind == "telemetry":
            await self.receive_telemetry(frame)
        elif kind == "command_result":
            await self.receive_command_result(frame)
        elif kind == "ping":
            await self.send_frame({"type": "pong"})
        elif kind not in ("pong", "auth"):
            await self.send_frame({"type": "error", "errors": {"type": [f"Unknown frame type {kind!r}."]}})
        self.presence_touch_now_and_then()

    def presence_touch_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self.last_presence_write >= settings.DEVICE_PRESENCE_WRITE_INTERVAL:
            self.last_presence_write = now
            self.spawn(in_thread(presence.presence_touch)(sensor_id=self.sensor.pk, channel=self.channel_name))

    async def receive_telemetry(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            await self.send_frame({"type": "error", "seq": seq,
                                   "errors": {"seq": ["A non-negative integer sequence number is required."]}})
            return
        if "readings" not in frame:
            await self.send_frame({"type": "error", "seq": seq, "errors": {"readings": ["This field is required."]}})
            return
        try:
            # Validation and the broadcast run on this loop, now; the hand-over completes later.
            result, durable = await ingest.accept_async_begin(payload={"readings": frame["readings"]},
                                                              source="websocket", device=self.sensor)
        except devices.INGEST_ERRORS as exc:
            await self.send_frame({"type": "error", "seq": seq,
                                   "errors": devices.ingest_outcome(error=exc).field_errors})
            return
        # Full (the cold path stalls): this waits, so the socket stops being read — back-pressure
        # on the device instead of unbounded memory here.
        await self.acks_due.put((seq, result, durable))

    async def ack_loop(self) -> None:
        """Ack frames in the order they came, each once its batch is durable. Frames behind
        one still being handed over are already broadcast and on their way."""
        while True:
            seq, result, durable = await self.acks_due.get()
            if durable is not None:
                try:
                    await durable
                except Exception as exc:
                    # Not durable, so not acked: closing makes the device reconnect and resend.
                    expected = isinstance(exc, ingest.ColdPathUnavailable)  # broker or database down
                    logger.log(logging.WARNING if expected else logging.ERROR, "Telemetry frame %s from %s not acked: %r",
                               seq, self.sensor_id, exc, exc_info=not expected)
                    await self.close(CloseCode.UNAVAILABLE)
                    return
            if result.accepted:
                await self.send_frame({"type": "ack", "seq": seq, **result.as_dict()})
            else:
                await self.send_frame({"type": "error", "seq": seq, "rejected": result.rejected,
                                       "errors": {"readings": ["Every reading in the frame was rejected."]}})

    async def receive_command_result(self, frame: dict[str, Any]) -> None:
        try:
            command_id = uuid.UUID(str(frame.get("id")))
        except ValueError:
            await self.send_frame({"type": "error", "errors": {"id": ["Not a command id."]}})
            return
        if frame.get("status") not in ("ok", "error"):
            await self.send_frame({"type": "error", "id": str(command_id),
                                   "errors": {"status": ['Must be "ok" or "error".']}})
            return
        result = frame.get("result")
        recorded = await in_thread(command_complete)(
            command_id=command_id, sensor_id=self.sensor.pk, succeeded=frame["status"] == "ok",
            reply=result if isinstance(result, dict) else {"result": result})
        if not recorded:
            await self.send_frame({"type": "error", "id": str(command_id),
                                   "errors": {"id": ["Unknown, expired or already answered command."]}})

    async def send_command(self, command) -> None:
        await self.send_frame({"type": "command", "id": str(command.pk), "name": command.name,
                               "params": command.params})

    # Channel-layer handlers (messages from other processes).

    async def device_command(self, message):
        if self.sensor is None:
            return
        command = await in_thread(command_claim_for_delivery)(command_id=message["id"], sensor_id=self.sensor.pk)
        if command is not None:
            await self.send_command(command)

    async def device_replaced(self, message):
        self.sensor = None  # the newer connection owns the presence row now
        await self.close(CloseCode.REPLACED)

    async def device_revoked(self, message):
        """Its token was rotated, or the sensor deleted or deactivated."""
        await self.close(CloseCode.UNAUTHORIZED)
