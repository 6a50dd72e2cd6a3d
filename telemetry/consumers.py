"""WebSocket consumers: the device gateway (telemetry up, commands down) and the viewers'
live streams (one sensor's readings, the fleet's presence and status).

The gateway lives here rather than in sensors/ because it hands frames to
telemetry.ingest.accept, and sensors may not import telemetry.
"""

import asyncio
import logging
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import msgspec
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections

from core.websocket import SEND_BUFFER_KEY
from sensors import presence
from sensors.authentication import device_token_from_header
from sensors.models import Sensor
from sensors.realtime import FLEET_STAFF_GROUP, fleet_group, sensor_status_event
from sensors.selectors import sensor_get_by_token, sensor_list
from sensors.services import command_claim_for_delivery, command_complete, commands_claim_pending
from telemetry import ingest, live

logger = logging.getLogger(__name__)
_encoder = msgspec.json.Encoder()
SEND_BACKLOG_RECHECK_S = 0.05


class CloseCode:
    UNAUTHORIZED = 4401  # no token, or a wrong one
    FORBIDDEN = 4403  # a token of another sensor; a viewer who may not see the sensor
    BAD_REQUEST = 4400  # a viewer's query parameters are invalid
    IDLE = 4408  # nothing heard within DEVICE_IDLE_TIMEOUT
    REPLACED = 4409  # a newer connection for the same device took over
    INTERNAL = 1011  # the cold path failed; the device resends what was not acked


def in_thread(function):
    """Run blocking code (ORM, the ingest hand-over) off the event loop, in parallel with
    other sockets' work rather than queued behind it in one shared thread.

    The connection is released inside the call: channels' database_sync_to_async closes
    connections outside the copied context the function ran in, where it may not see the
    one the function opened, and the pool then runs dry."""

    def run_and_release(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run_and_release, thread_sensitive=False)


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class JsonTextConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message):
        """As channels' dispatch, without its close_old_connections() before every message:
        that hops to the one thread-sensitive thread per frame (thousands a second here, all
        queued behind whatever else runs there). Every database call of these consumers
        goes through in_thread, which opens and releases its own connection."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=_encoder.encode(frame).decode())


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
        token = device_token_from_header(_header(self.scope, b"authorization"))
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
        sensor = await in_thread(sensor_get_by_token)(token=token)
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
        except (ingest.BatchTooLarge, ingest.PayloadInvalid) as exc:
            await self.send_frame({"type": "error", "seq": seq, "errors": {"readings": [str(exc)]}})
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
                    await self.close(CloseCode.INTERNAL)
                    return
            if result.accepted:
                await self.send_frame({"type": "ack", "seq": seq, "accepted": result.accepted,
                                       "rejected": result.rejected})
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


# --- Viewers --------------------------------------------------------------------------------

class ViewerOutbox:
    """Frames waiting for one viewer. Bounded: past the bound the oldest live frames are
    dropped and counted, so a stalled viewer costs a fixed amount of memory and nobody
    else's time."""

    def __init__(self, *, size: int):
        self.frames: deque[str] = deque(maxlen=size)
        self.dropped = 0
        self.ready = asyncio.Event()

    def put(self, frames: list[str]) -> None:
        overflow = len(self.frames) + len(frames) - self.frames.maxlen
        if overflow > 0:
            self.dropped += overflow
        self.frames.extend(frames)
        self.ready.set()

    def take(self) -> list[str]:
        frames = list(self.frames)
        self.frames.clear()
        self.ready.clear()
        return frames


class ViewerConsumer(JsonTextConsumer):
    """Common to viewer sockets: a signed-in user (session cookie or `?token=<JWT>`)."""

    async def connect(self):
        self.user = self.scope.get("user")
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(CloseCode.UNAUTHORIZED)
            return
        await self.start()

    async def start(self):
        raise NotImplementedError


class SensorStreamConsumer(ViewerConsumer):
    """`/ws/data/stream/<sensor_id>/[?max_fps=N]`: one sensor's readings as they arrive.

    Frames: `{"type": "reading", ...}`; with max_fps, what arrived between two sends is
    coalesced into `{"type": "batch", "frames": [...]}`; `{"type": "dropped", "count",
    "total"}` after live frames had to be dropped for this viewer; `{"type": "status"}`
    once at connect.
    """

    group = ""
    writer: asyncio.Task | None = None

    async def start(self):
        sensor_id = self.scope["url_route"]["kwargs"]["sensor_id"]
        sensor = await in_thread(self.visible_sensor)(sensor_id=sensor_id)
        if sensor is None:
            await self.close(CloseCode.FORBIDDEN)
            return
        max_fps = self.max_fps_requested()
        if max_fps is False:
            await self.send_frame({"type": "error", "errors": {
                "max_fps": [f"A number between 1 and {settings.LIVE_VIEWER_MAX_FPS}."]}})
            await self.close(CloseCode.BAD_REQUEST)
            return
        self.min_gap = 1.0 / max_fps if max_fps else 0.0
        self.outbox = ViewerOutbox(size=settings.LIVE_VIEWER_QUEUE)
        self.group = live.sensor_group(sensor_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_frame(sensor_status_event(sensor=sensor))
        self.writer = asyncio.ensure_future(self.write_loop())

    def visible_sensor(self, *, sensor_id: str) -> Sensor | None:
        return sensor_list(user=self.user).filter(pk=sensor_id).first()

    def max_fps_requested(self) -> float | None | bool:
        """None when not asked for, False when invalid."""
        raw = (parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("max_fps") or [""])[0]
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            return False
        return value if 1 <= value <= settings.LIVE_VIEWER_MAX_FPS else False

    async def write_loop(self) -> None:
        reported_dropped = 0
        send_buffer = self.scope.get(SEND_BUFFER_KEY)
        if send_buffer is not None:
            send_buffer.limit(settings.LIVE_VIEWER_SEND_BUFFER_BYTES)
        while True:
            await self.outbox.ready.wait()
            if send_buffer is not None and send_buffer.unsent() > settings.LIVE_VIEWER_SEND_BUFFER_BYTES:
                # The viewer stopped reading: keep frames in the bounded outbox, which drops the
                # oldest, instead of piling them into the server's unbounded write buffer.
                await asyncio.sleep(SEND_BACKLOG_RECHECK_S)
                continue
            frames = self.outbox.take()
            if self.min_gap and len(frames) > 1:
                await self.send(text_data='{"type":"batch","frames":[' + ",".join(frames) + "]}")
            else:
                for text in frames:
                    await self.send(text_data=text)
            if self.outbox.dropped != reported_dropped:
                await self.send_frame({"type": "dropped", "count": self.outbox.dropped - reported_dropped,
                                       "total": self.outbox.dropped})
                reported_dropped = self.outbox.dropped
            if self.min_gap:
                await asyncio.sleep(self.min_gap)

    async def readings_live(self, message):
        self.outbox.put(message["frames"])

    async def disconnect(self, code):
        if self.writer is not None:
            self.writer.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)


class FleetConsumer(ViewerConsumer):
    """`/ws/fleet/`: presence and status of every sensor the user may see.

    A `{"type": "snapshot", "sensors": [status, ...]}` at connect, then one
    `{"type": "status", ...}` frame per change.
    """

    groups_joined: list[str] = []

    async def start(self):
        self.groups_joined = [FLEET_STAFF_GROUP if self.user.is_staff else fleet_group(user_id=self.user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        snapshot = await in_thread(self.snapshot)()
        await self.send_frame({"type": "snapshot", "sensors": snapshot})

    def snapshot(self) -> list[dict[str, Any]]:
        return [sensor_status_event(sensor=sensor) for sensor in sensor_list(user=self.user)]

    async def fleet_status(self, message):
        await self.send_frame(message["event"])

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
