"""One fault under load: clients run, the fault is injected, clients run on until each has been
answered 202 again (or the recovery limit passes), then the figures are taken."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.faults.load import StatusWatch, Tally, http_device, socket_device, status_watch

RECOVERY_LIMIT_S = 30.0  # the "N seconds" within which ingest must be back after a fault ends


@dataclass
class Window:
    start: float
    end: float


@dataclass
class Outcome:
    tallies: list[Tally]
    watch: StatusWatch
    window: Window


def _recovered(tallies: list[Tally], since: float) -> bool:
    return all(any(status == 202 and at >= since for at, status in t.answers) for t in tallies)


async def _scenario(fault: Callable[[], Awaitable[Window]], *, urls: list[str], http_sensors, socket_sensors,
                    warmup_s: float, status_url: str | None) -> Outcome:
    stop, watching = asyncio.Event(), asyncio.Event()
    tallies, watch = [], StatusWatch()
    clients = []
    for sensor_id, token in http_sensors:
        tallies.append(Tally(sensor_id))
        clients.append(http_device(urls, sensor_id, token, stop, tallies[-1]))
    for sensor_id, token in socket_sensors:
        tallies.append(Tally(sensor_id))
        clients.append(socket_device(urls, sensor_id, token, stop, tallies[-1]))
    tasks = [asyncio.ensure_future(client) for client in clients]
    if status_url:
        tasks.append(asyncio.ensure_future(status_watch(status_url, watching, watch)))
    try:
        await asyncio.sleep(warmup_s)
        assert all(t.accepted for t in tallies), "every client is accepted before the fault"
        window = await fault()
        deadline = time.monotonic() + RECOVERY_LIMIT_S
        while not _recovered(tallies, window.end) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)
    finally:
        stop.set()
        watching.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 40)
    return Outcome(tallies, watch, window)


def under_load(fault, *, urls, http_sensors, socket_sensors, warmup_s: float = 3, status_url: str | None = None):
    return asyncio.run(_scenario(fault, urls=urls, http_sensors=http_sensors, socket_sensors=socket_sensors,
                                 warmup_s=warmup_s, status_url=status_url))
