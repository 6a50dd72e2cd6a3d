"""Shared pieces of the live-telemetry tests: sockets against the real ASGI application."""

import json
from datetime import datetime, timedelta, timezone

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from project.asgi import application

in_thread = database_sync_to_async


def reading(sensor_id: str, *, seconds_ago: float = 60, z: float = 9.81) -> dict:
    moment = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    return {"sensor_id": sensor_id, "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "acceleration": {"x": 0.01, "y": -0.02, "z": z}, "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3},
            "battery_level": 87, "signal_strength": -61}


async def socket_open(path: str, headers: list[tuple[bytes, bytes]] | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def device_open(sensor_id: str, token: str | None) -> WebsocketCommunicator:
    headers = [(b"authorization", f"Device {token}".encode())] if token is not None else []
    return await socket_open(f"/ws/devices/{sensor_id}/", headers)


async def device_ready(sensor_id: str, token: str) -> WebsocketCommunicator:
    device = await device_open(sensor_id, token)
    assert (await receive(device))["type"] == "ready"
    return device


async def receive(communicator: WebsocketCommunicator, timeout: float = 5) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(communicator: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == kind:
            return frame


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 5) -> int:
    """The close code the server sent (skipping frames sent before it); then the client
    side goes away too, as a real client would."""
    while True:
        message = await communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            await communicator.disconnect()
            return message.get("code")


def access_token(user) -> str:
    return str(AccessToken.for_user(user))


async def viewer_open(sensor_id: str, user=None, query: str = "") -> WebsocketCommunicator:
    params = [f"token={access_token(user)}"] if user is not None else []
    if query:
        params.append(query)
    suffix = "?" + "&".join(params) if params else ""
    return await socket_open(f"/ws/data/stream/{sensor_id}/{suffix}")
