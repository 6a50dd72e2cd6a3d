"""Simulated devices that speak the device WebSocket exactly as real ones do.

Each device connects with its token, streams telemetry frames at a rate, keeps every
frame until the server acks it and resends the unacked ones after a reconnect, answers
pings and commands. Used by `simulate_fleet`, `make run` and bench/live.py.
"""

import asyncio
import json
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import websockets

logger = logging.getLogger(__name__)

GRAVITY = 9.81


def _timestamp(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


@dataclass
class ImuSignal:
    """A machine that vibrates and sways: gravity on z, slow sway, a little noise."""

    phase: float = field(default_factory=lambda: random.uniform(0, 2 * math.pi))
    battery: float = field(default_factory=lambda: random.uniform(60, 100))

    def reading(self, sensor_id: str, now: float, hz: float) -> dict:
        t = now + self.phase
        noise = random.gauss
        self.battery = max(5.0, self.battery - 0.5 / 3600 / hz * 60)  # about 0.5 % an hour
        return {
            "sensor_id": sensor_id,
            "timestamp": _timestamp(now),
            "acceleration": {"x": round(0.3 * math.sin(2 * math.pi * 0.5 * t) + noise(0, 0.02), 4),
                             "y": round(0.2 * math.cos(2 * math.pi * 0.3 * t) + noise(0, 0.02), 4),
                             "z": round(GRAVITY + 0.05 * math.sin(2 * math.pi * 1.1 * t) + noise(0, 0.01), 4)},
            "gyroscope": {"x": round(0.6 * math.cos(2 * math.pi * 0.5 * t) + noise(0, 0.05), 4),
                          "y": round(-0.4 * math.sin(2 * math.pi * 0.3 * t) + noise(0, 0.05), 4),
                          "z": round(noise(0, 0.03), 4)},
            "battery_level": int(self.battery),
            "signal_strength": int(-58 + 4 * math.sin(t / 30) + noise(0, 2)),
        }


@dataclass
class EnergySignal:
    """A panel meter: mains voltage, a base load plus a machine cycling on and off."""

    phase: float = field(default_factory=lambda: random.uniform(0, 60))

    def reading(self, sensor_id: str, now: float, hz: float) -> dict:
        t = now + self.phase
        voltage = 230 + 2 * math.sin(t / 300) + random.gauss(0, 0.3)
        machine_on = (t % 60) < 25
        current = max(0.0, 3.0 + (8.0 if machine_on else 0.0) + random.gauss(0, 0.15))
        power = voltage * current * 0.95
        return {"sensor_id": sensor_id, "timestamp": _timestamp(now),
                "metrics": {"voltage": round(voltage, 2), "current": round(current, 3), "power": round(power, 1),
                            # energy_kwh is the energy of this interval, not a meter register
                            "energy_kwh": round(power / hz / 3.6e6, 8)}}


@dataclass
class EyeSignal:
    """A desk eye tracker: blink rate drifting with fatigue. Between records it streams the
    rate as a live metric; every `record_every_s` it sends a blink record (the wellness
    page's data), as the desktop client does."""

    record_every_s: float = 10.0
    last_record_at: float | None = None

    def reading(self, sensor_id: str, now: float, hz: float) -> dict:
        rate = max(0.0, 15 + 4 * math.sin(now / 600) + random.gauss(0, 1.5))
        if self.last_record_at is None:
            self.last_record_at = now
        interval = now - self.last_record_at
        if interval >= self.record_every_s:
            self.last_record_at = now
            return {"sensor_id": sensor_id, "timestamp": _timestamp(now),
                    "blink": {"client_id": str(uuid.uuid4()), "blink_count": round(rate * interval / 60),
                              "interval_s": round(interval, 3)}}
        return {"sensor_id": sensor_id, "timestamp": _timestamp(now),
                "metrics": {"blinks_per_minute": round(rate, 1)}}


def signal_for(device_type: str):
    if device_type == "energy_meter":
        return EnergySignal()
    if device_type == "eye_tracker":
        return EyeSignal()
    return ImuSignal()


class SimulatedDevice:
    """One device. `on_sent(readings)` is called as each new frame goes out (for the bench)."""

    def __init__(self, *, sensor_id: str, token: str, url: str, hz: float, device_type: str = "imu",
                 readings_per_frame: int = 1, on_sent: Callable[[list[dict]], None] | None = None):
        self.sensor_id, self.token, self.url = sensor_id, token, url.rstrip("/")
        self.hz, self.readings_per_frame, self.on_sent = hz, readings_per_frame, on_sent
        self.signal = signal_for(device_type)
        self.seq = 0
        self.unacked: dict[int, str] = {}
        self.acked = 0
        self.errors = 0
        self.commands_answered = 0

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                async with websockets.connect(f"{self.url}/ws/devices/{self.sensor_id}/",
                                              additional_headers={"Authorization": f"Device {self.token}"},
                                              open_timeout=10, ping_interval=None) as socket:
                    delay = 0.5
                    await self._session(socket, stop)
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError) as exc:
                if stop.is_set():
                    return
                logger.info("%s: connection lost (%s); reconnecting in %.1fs", self.sensor_id, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _session(self, socket, stop: asyncio.Event) -> None:
        ready = json.loads(await socket.recv())
        if ready.get("type") != "ready":
            raise websockets.WebSocketException(f"not ready: {ready}")
        for seq in sorted(self.unacked):  # what the last connection never got acked
            await socket.send(self.unacked[seq])
        sender = asyncio.ensure_future(self._send_loop(socket, stop))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            async for text in socket:
                await self._handle(socket, json.loads(text))
                if stop.is_set():
                    break
        finally:
            sender.cancel()
            stopper.cancel()
            if stop.is_set():
                await socket.close()
        if sender.done() and not sender.cancelled() and sender.exception():
            raise sender.exception()

    async def _send_loop(self, socket, stop: asyncio.Event) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            now = time.time()
            readings = [self.signal.reading(self.sensor_id, now - (self.readings_per_frame - 1 - i) / 1000, self.hz)
                        for i in range(self.readings_per_frame)]
            self.seq += 1
            text = json.dumps({"type": "telemetry", "seq": self.seq, "readings": readings})
            self.unacked[self.seq] = text
            if self.on_sent:
                self.on_sent(readings)
            await socket.send(text)
            next_at += 1 / self.hz
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _handle(self, socket, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "ack":
            if self.unacked.pop(frame["seq"], None) is not None:
                self.acked += 1
        elif kind == "error":
            self.errors += 1
            self.unacked.pop(frame.get("seq"), None)  # rejected for good: resending will not help
            logger.warning("%s: server rejected frame %s: %s", self.sensor_id, frame.get("seq"), frame.get("errors"))
        elif kind == "ping":
            await socket.send('{"type":"pong"}')
        elif kind == "command":
            await socket.send(json.dumps(self.command_answer(frame)))
            self.commands_answered += 1

    def command_answer(self, command: dict) -> dict:
        name, params = command.get("name"), command.get("params") or {}
        answer = {"type": "command_result", "id": command["id"], "status": "ok"}
        if name == "set_rate":
            hz = params.get("hz")
            if not isinstance(hz, (int, float)) or not 0.1 <= hz <= 200:
                return {**answer, "status": "error", "result": {"error": "hz must be between 0.1 and 200"}}
            self.hz = float(hz)
            return {**answer, "result": {"hz": self.hz}}
        if name in ("ping", "identify", "blink"):
            return {**answer, "result": {"at": _timestamp(time.time())}}
        if name == "status":
            return {**answer, "result": {"hz": self.hz, "seq": self.seq, "unacked": len(self.unacked)}}
        return {**answer, "status": "error", "result": {"error": f"unknown command {name!r}"}}
