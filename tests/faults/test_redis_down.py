"""Redis (the cache and the channel layer) down for 8 s under load: ingest and storage go on, the
device token lookups fall back to the database, live viewers get readings again once it is back."""

import asyncio
import json
import time
from dataclasses import dataclass, field

import pytest
import websockets

from tests import servers
from tests.faults.brokers import private_redis
from tests.faults.load import CLIENT_TIMEOUT_S, figures_check, figures_record, seconds_to_recover, storage_awaited
from tests.faults.scenario import Window, under_load
from tests.live.helpers import access_token
from tests.servers import celery_worker, daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OUTAGE_S = 8


@dataclass
class ViewerLog:
    readings: list[float] = field(default_factory=list)  # when each reading frame came
    closes: list[tuple[float, int | None]] = field(default_factory=list)
    errors: list[tuple[float, dict]] = field(default_factory=list)


async def viewer(url: str, stop: asyncio.Event, log: ViewerLog) -> None:
    while not stop.is_set():
        try:
            async with websockets.connect(url, open_timeout=CLIENT_TIMEOUT_S) as sock:
                while not stop.is_set():
                    try:
                        frame = json.loads(await asyncio.wait_for(sock.recv(), 0.5))
                    except TimeoutError:
                        continue
                    if frame.get("type") == "reading":
                        log.readings.append(time.monotonic())
                    elif frame.get("type") == "error":
                        log.errors.append((time.monotonic(), frame))
        except (websockets.ConnectionClosed, OSError, websockets.InvalidHandshake) as exc:
            log.closes.append((time.monotonic(), getattr(getattr(exc, "rcvd", None), "code", None)))
            await asyncio.sleep(0.5)


def test_redis_down_keeps_ingest_and_storage_going_and_viewers_resume(fleet, user):
    watched_sensor = fleet["socket"][0][0]
    log = ViewerLog()
    with private_redis() as redis:
        env = {"REDIS_URL": redis.url()}
        with celery_worker(**env), daphne_server(**env) as a, daphne_server(**env) as b:
            viewer_url = f"{b.ws_url}/ws/data/stream/{watched_sensor}/?token={access_token(user)}"

            async def fault() -> Window:
                stop = asyncio.Event()
                watching = asyncio.ensure_future(viewer(viewer_url, stop, log))
                await asyncio.sleep(2)
                start = time.monotonic()
                await asyncio.to_thread(redis.stop)
                await asyncio.sleep(OUTAGE_S)
                await asyncio.to_thread(redis.start)
                end = time.monotonic()
                await asyncio.sleep(8)
                stop.set()
                await watching
                return Window(start, end)

            outcome = under_load(fault, urls=[a.url, b.url], http_sensors=fleet["http"],
                                 socket_sensors=fleet["socket"], status_url=a.url)
            stored = storage_awaited(servers.test_database_url(), outcome.tallies, timeout=60)
    window = outcome.window
    accepted_during = sum(1 for t in outcome.tallies for at, status in t.answers
                          if status == 202 and window.start + 1 <= at <= window.end)
    figures = figures_record(f"Redis (cache, channel layer) down {OUTAGE_S}s", outcome.tallies, stored,
                             seconds_to_recover(outcome.tallies, window.end), accepted_answers_during=accepted_during,
                             viewer_closes=len(log.closes), viewer_errors=len(log.errors))
    figures_check(figures, outcome.tallies)
    assert figures["503"] == 0 and accepted_during > 0, "ingest goes on without Redis"
    down = outcome.watch.down_between(window.start, window.end)
    assert {"cache", "channel_layer"} <= down, outcome.watch.reports
    # The viewer's socket stays open through the outage (it sees a gap, no error frame: README) and
    # its stream resumes once Redis is back, without reconnecting.
    assert any(at > window.end for at in log.readings), "the viewer gets readings again"
