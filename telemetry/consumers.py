"""Viewer WebSocket consumers: one sensor's live readings, the fleet's presence and status.
(The device socket is a transport: transports/websocket.py.)"""

import asyncio
import logging
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings

from core.websocket import SEND_BUFFER_KEY, CloseCode, JsonTextConsumer, in_thread
from sensors.models import Sensor
from sensors.realtime import FLEET_STAFF_GROUP, fleet_group, sensor_status_event
from sensors.selectors import sensor_list
from telemetry import live

__all__ = ["CloseCode", "FleetConsumer", "SensorStreamConsumer"]

logger = logging.getLogger(__name__)
SEND_BACKLOG_RECHECK_S = 0.05


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
