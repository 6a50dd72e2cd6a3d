"""The viewer side of the live stream (`/ws/data/stream/<sensor_id>/?token=<access JWT>`).

    async for frame in live_frames(api, "imu-001"):
        print(frame["type"], frame)            # status, reading, batch, dropped

A refused token (close 4401) is refreshed once and the stream reopened; a dropped
connection is reopened with backoff. 4403 (not your sensor) raises NotFound.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import quote

import websockets

from sensorium_client.errors import AuthenticationFailed, NotFound

if TYPE_CHECKING:
    from sensorium_client.client import SensoriumClient


def ws_base(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)


async def live_frames(client: SensoriumClient, sensor_id: str, *, max_fps: int | None = None,
                      reconnect: bool = True) -> AsyncIterator[dict]:
    refreshed = False
    delay = 0.5
    while True:
        token = await client.access_token()
        query = f"?token={quote(token)}" + (f"&max_fps={max_fps}" if max_fps else "")
        url = f"{ws_base(client.base_url)}/ws/data/stream/{quote(sensor_id)}/{query}"
        try:
            async with websockets.connect(url, open_timeout=10, ping_interval=20) as socket:
                delay = 0.5
                async for text in socket:
                    refreshed = False
                    yield json.loads(text)
            if not reconnect:
                return
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            if code == 4403:
                raise NotFound(404, f"sensor {sensor_id} not found (or not yours)", {"sensor_id": ["Not found."]}) from exc
            if code == 4401:
                if refreshed:
                    raise AuthenticationFailed(401, "the live stream refused the session", {}) from exc
                await client.refresh()
                refreshed = True
                continue
            if not reconnect:
                return
        except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
            if not reconnect:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 10)
