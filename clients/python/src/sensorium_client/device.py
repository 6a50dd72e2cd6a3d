"""A device's side of the WebSocket protocol (`/ws/devices/<sensor_id>/`).

    device = DeviceClient(url="ws://127.0.0.1:8000", sensor_id="imu-001", token=token,
                          on_command=lambda command: {"done": True})
    runner = asyncio.create_task(device.run(stop))
    await device.send([reading, ...])          # telemetry frame with the next seq
    await device.flush()                        # every frame sent so far is acked (durable)

Each frame is kept until the server acks it; after a reconnect every unacked frame is
sent again, in order (the server stores each reading once, so a resend is harmless).
An `error` frame rejects a frame for good: it is dropped and reported to `on_error`.
Commands go to `on_command(command)`: its return value (a dict, or an awaitable of one)
is the `ok` result; raising CommandFailed (or anything) answers `error`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import websockets

from sensorium_client.errors import SensoriumError

logger = logging.getLogger(__name__)

# Close codes after which reconnecting cannot help.
FATAL_CLOSE_CODES = {4401: "no or wrong device token", 4403: "token of another sensor",
                     4409: "replaced by a newer connection of the same device"}


@dataclass(frozen=True)
class DeviceCommand:
    id: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)


class CommandFailed(Exception):
    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.result = result if result is not None else {"error": message}


class DeviceRefused(SensoriumError):
    """The server closed the socket for good (bad or rotated token, replaced connection)."""

    def __init__(self, code: int, reason: str):
        super().__init__(f"device socket closed with {code}: {reason}")
        self.code = code


CommandHandler = Callable[[DeviceCommand], dict | Awaitable[dict] | None]


class DeviceClient:
    def __init__(self, *, url: str, sensor_id: str, token: str, on_command: CommandHandler | None = None,
                 on_ack: Callable[[dict], None] | None = None, on_error: Callable[[dict], None] | None = None,
                 max_unacked: int = 1024, reconnect_max_s: float = 10.0, open_timeout: float = 10.0):
        self.url = url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        self.sensor_id, self.token = sensor_id, token
        self.on_command, self.on_ack, self.on_error = on_command, on_ack, on_error
        self.max_unacked, self.reconnect_max_s, self.open_timeout = max_unacked, reconnect_max_s, open_timeout
        self.seq = 0
        self.unacked: dict[int, str] = {}
        self.acked = self.rejected_frames = self.commands_answered = self.connections = 0
        self.connected = asyncio.Event()
        self._socket = None
        self._lock = asyncio.Lock()
        self._changed = asyncio.Condition()

    @property
    def endpoint(self) -> str:
        return f"{self.url}/ws/devices/{self.sensor_id}/"

    # --- sending -----------------------------------------------------------------------

    async def send(self, readings: list[dict]) -> int:
        """Queue one telemetry frame and send it if connected; returns its seq. Waits while
        `max_unacked` frames are outstanding."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.unacked) < self.max_unacked)
        async with self._lock:
            self.seq += 1
            text = json.dumps({"type": "telemetry", "seq": self.seq, "readings": readings}, separators=(",", ":"))
            self.unacked[self.seq] = text
            if self._socket is not None:
                await self._transmit(text)
            return self.seq

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until every frame sent so far is acked or rejected."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: not self.unacked), timeout)

    async def _transmit(self, text: str) -> None:
        try:
            await self._socket.send(text)
        except websockets.ConnectionClosed:
            pass  # kept in unacked: it goes again after the reconnect

    # --- connection --------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set, reconnecting with backoff. Raises
        DeviceRefused when the server refuses the device for good."""
        delay = 0.5
        while not stop.is_set():
            try:
                async with websockets.connect(self.endpoint, open_timeout=self.open_timeout, ping_interval=None,
                                              additional_headers={"Authorization": f"Device {self.token}"}) as socket:
                    delay = 0.5
                    await self._session(socket, stop)
            except websockets.ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
                if code in FATAL_CLOSE_CODES:
                    raise DeviceRefused(code, FATAL_CLOSE_CODES[code]) from exc
                logger.info("%s: connection closed (%s); reconnecting in %.1fs", self.sensor_id, code, delay)
            except websockets.InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    raise DeviceRefused(4401, f"HTTP {exc.response.status_code}") from exc
                logger.info("%s: refused (%s); reconnecting in %.1fs", self.sensor_id, exc, delay)
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError) as exc:
                logger.info("%s: connection lost (%s); reconnecting in %.1fs", self.sensor_id, exc, delay)
            finally:
                self._socket = None
                self.connected.clear()
            if stop.is_set():
                return
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, self.reconnect_max_s)

    async def _session(self, socket, stop: asyncio.Event) -> None:
        ready = json.loads(await asyncio.wait_for(socket.recv(), self.open_timeout))
        if ready.get("type") != "ready":
            raise websockets.WebSocketException(f"expected a ready frame, got {ready}")
        async with self._lock:
            for seq in sorted(self.unacked):  # what the last connection never got acked
                await socket.send(self.unacked[seq])
            self._socket = socket
            self.connections += 1
            self.connected.set()
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiver = asyncio.ensure_future(socket.recv())
                done, _ = await asyncio.wait({receiver, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if receiver not in done:
                    receiver.cancel()
                    await socket.close()
                    return
                await self._handle(socket, json.loads(receiver.result()))
        finally:
            stopper.cancel()

    async def _handle(self, socket, frame: dict) -> None:
        kind = frame.get("type")
        if kind in ("ack", "error"):
            async with self._changed:
                known = self.unacked.pop(frame.get("seq"), None) is not None
                self._changed.notify_all()
            if kind == "ack":
                self.acked += known
                if self.on_ack:
                    self.on_ack(frame)
            else:
                self.rejected_frames += known
                logger.warning("%s: server rejected frame %s: %s", self.sensor_id, frame.get("seq"),
                               frame.get("errors"))
                if self.on_error:
                    self.on_error(frame)
        elif kind == "ping":
            await socket.send('{"type":"pong"}')
        elif kind == "command":
            await socket.send(json.dumps(await self._answer(frame)))
            self.commands_answered += 1

    async def _answer(self, frame: dict) -> dict:
        command = DeviceCommand(id=frame["id"], name=frame.get("name", ""), params=frame.get("params") or {})
        answer: dict[str, Any] = {"type": "command_result", "id": command.id, "status": "ok"}
        if self.on_command is None:
            return {**answer, "status": "error", "result": {"error": f"unknown command {command.name!r}"}}
        try:
            result = self.on_command(command)
            if inspect.isawaitable(result):
                result = await result
        except CommandFailed as exc:
            return {**answer, "status": "error", "result": exc.result}
        except Exception as exc:  # a handler bug must not kill the connection
            logger.exception("%s: command %s failed", self.sensor_id, command.name)
            return {**answer, "status": "error", "result": {"error": f"{exc.__class__.__name__}: {exc}"}}
        return {**answer, "result": result if isinstance(result, dict) else {}}
