"""The Celery broker gone for 8 s under load, then back: RabbitMQ, through a fault proxy in front of
the machine's broker (connections cut, then refused, then let through)."""

import asyncio
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests import servers
from tests.faults.brokers import fault_proxy
from tests.faults.load import figures_check, figures_record, seconds_to_recover, storage_awaited
from tests.faults.processes import Workers
from tests.faults.scenario import Window, under_load
from tests.servers import daphne_server

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OUTAGE_S = 8


@contextmanager
def rabbitmq_behind_proxy():
    shared = urlsplit(settings.CELERY_BROKER_URL)
    if shared.scheme not in ("amqp", "pyamqp"):
        pytest.skip(f"the RabbitMQ case needs CELERY_BROKER_URL to name a RabbitMQ (it names {shared.scheme})")
    with fault_proxy(shared.port or 5672) as proxy:
        netloc = f"{shared.username}:{shared.password}@127.0.0.1:{proxy.port}"
        yield urlunsplit(shared._replace(netloc=netloc)), proxy.cut, proxy.restore


def test_a_rabbitmq_outage_answers_503_and_ingest_comes_back_by_itself(fleet):
    with rabbitmq_behind_proxy() as (broker_url, go_down, come_back), \
            Workers(CELERY_BROKER_URL=broker_url) as workers, \
            daphne_server(CELERY_BROKER_URL=broker_url) as a, daphne_server(CELERY_BROKER_URL=broker_url) as b:
        asyncio.run(workers.start())

        async def fault() -> Window:
            start = time.monotonic()
            await asyncio.to_thread(go_down)
            await asyncio.sleep(OUTAGE_S)
            await asyncio.to_thread(come_back)
            return Window(start, time.monotonic())

        outcome = under_load(fault, urls=[a.url, b.url], http_sensors=fleet["http"], socket_sensors=fleet["socket"],
                             status_url=b.url)
        stored = storage_awaited(servers.test_database_url(), outcome.tallies, timeout=60)
        worker_log = workers.outputs()
    figures = figures_record(f"RabbitMQ outage {OUTAGE_S}s (proxy cut, refused, restored)", outcome.tallies, stored,
                             seconds_to_recover(outcome.tallies, outcome.window.end))
    assert "broker" in outcome.watch.down_between(outcome.window.start, outcome.window.end), outcome.watch.reports
    figures_check(figures, outcome.tallies)
    assert figures["503"] > 0
    assert figures["recover_s"] is not None, worker_log

