"""A Celery worker SIGKILLed mid-write, twice, under HTTP and socket load."""

import asyncio
import time

import pytest

from tests import servers
from tests.faults.load import figures_check, figures_record, seconds_to_recover, storage_awaited
from tests.faults.processes import Workers, log_shows
from tests.faults.scenario import Window, under_load
from tests.servers import daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_write_twice_loses_and_duplicates_nothing(fleet):
    with Workers() as workers, daphne_server() as a, daphne_server() as b:
        async def fault() -> Window:
            # Each batch is held written but uncommitted for 1 s: the kill lands inside the transaction.
            await workers.start(pool="solo", write_delay_s=1)
            start = time.monotonic()
            for restart in ({"pool": "solo", "write_delay_s": 1}, {}):
                doomed = workers.newest
                await log_shows(doomed, "readings_write_batch[")  # a task received (the banner lists it without [id])
                await asyncio.sleep(0.5)
                doomed.kill()
                await workers.start(**restart)  # what the supervisor (systemd Restart=always) does
            return Window(start, time.monotonic())

        outcome = under_load(fault, urls=[a.url, b.url], http_sensors=fleet["http"], socket_sensors=fleet["socket"])
        stored = storage_awaited(servers.test_database_url(), outcome.tallies, timeout=90)
    figures = figures_record("worker SIGKILL x2", outcome.tallies, stored,
                             seconds_to_recover(outcome.tallies, outcome.window.end))
    figures_check(figures, outcome.tallies)
    assert figures["503"] == 0, "the broker holds what the web accepted: no worker is needed to accept"
