"""The disk answering slowly: for 8 s every batch the worker writes is held 0.5 s
(tests/slow_writes.py, never production code). The broker queue absorbs the difference; the web's memory stays bounded;
once the disk is fast again the backlog drains and every accepted reading is stored once."""

import asyncio
import time
from pathlib import Path

import pytest

from tests import servers
from tests.faults.load import figures_check, figures_record, seconds_to_recover, storage_awaited
from tests.faults.processes import Workers
from tests.faults.scenario import Window, under_load
from tests.servers import daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SLOW_FOR_S = 8
RSS_GROWTH_LIMIT_MB = 64  # a leak or an unbounded buffer per reading would pass this within seconds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(pid)


def test_a_slow_disk_backs_up_into_the_broker_and_web_memory_stays_bounded(fleet):
    samples: dict[int, list[float]] = {}
    with Workers() as workers, daphne_server() as a, daphne_server() as b:
        asyncio.run(workers.start(pool="solo", write_delay_s=0.5))
        pids = [a.process.pid, b.process.pid]

        async def fault() -> Window:
            start = time.monotonic()
            while time.monotonic() - start < SLOW_FOR_S:
                for pid in pids:
                    samples.setdefault(pid, []).append(rss_mb(pid))
                await asyncio.sleep(0.5)
            workers.newest.stop()
            await workers.start()  # the disk is fast again
            return Window(start, time.monotonic())

        outcome = under_load(fault, urls=[a.url, b.url], http_sensors=fleet["http"], socket_sensors=fleet["socket"],
                             status_url=b.url)
        stored = storage_awaited(servers.test_database_url(), outcome.tallies, timeout=90)
    growth = {pid: round(max(values) - values[0], 1) for pid, values in samples.items()}
    figures = figures_record(f"slow disk ({SLOW_FOR_S}s, 0.5 s per batch)", outcome.tallies, stored,
                             seconds_to_recover(outcome.tallies, outcome.window.end),
                             daphne_rss_mb_max=[round(max(values), 1) for values in samples.values()],
                             daphne_rss_growth_mb=list(growth.values()))
    figures_check(figures, outcome.tallies)
    assert all(value < RSS_GROWTH_LIMIT_MB for value in growth.values()), growth
