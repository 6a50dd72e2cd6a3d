"""A Daphne process SIGKILLed with devices connected: they reconnect to the other one and resend
what was not acked; nothing is lost or stored twice."""

import time

import pytest

from tests import servers
from tests.faults.load import figures_check, figures_record, seconds_to_recover, storage_awaited
from tests.faults.scenario import Window, under_load
from tests.servers import celery_worker, daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_devices_on_a_killed_daphne_reconnect_to_the_other_and_lose_nothing(fleet):
    with celery_worker(), daphne_server() as doomed, daphne_server() as survivor:
        async def fault() -> Window:
            start = time.monotonic()
            doomed.kill()
            return Window(start, time.monotonic())

        # Socket devices start on the doomed process (the first url) and move to the next on reconnect.
        outcome = under_load(fault, urls=[doomed.url, survivor.url], http_sensors=fleet["http"],
                             socket_sensors=fleet["socket"])
        stored = storage_awaited(servers.test_database_url(), outcome.tallies, timeout=60)
    figures = figures_record("Daphne SIGKILL", outcome.tallies, stored,
                             seconds_to_recover(outcome.tallies, outcome.window.end))
    figures_check(figures, outcome.tallies)
    sockets = outcome.tallies[len(fleet["http"]):]
    assert all(tally.reconnects >= 1 for tally in sockets), "every device lost its socket and came back"
    assert figures["recover_s"] is not None
