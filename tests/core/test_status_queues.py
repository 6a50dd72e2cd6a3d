"""/status names a queue that holds messages but has no consumer (a degraded dependency, not
a 503), with each broker offered: RabbitMQ counts consumers itself; with a Redis broker the
workers' heartbeats say which queues they consume."""

import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from kombu import Connection, Exchange, Queue

from core.heartbeat import WORKER_HEARTBEAT_KEY
from tests.servers import celery_worker

pytestmark = [pytest.mark.services, pytest.mark.slow]



@pytest.fixture
def broker_url(settings) -> str:
    """The services leg's RabbitMQ (a Redis broker is refused at start: README, Faults)."""
    configured = django_settings.CELERY_BROKER_URL
    if not configured.startswith("amqp"):
        pytest.skip(f"the services leg's broker is {configured.split(':')[0]}, not RabbitMQ")
    settings.CELERY_BROKER_URL = configured
    return configured


@pytest.fixture
def waiting_queue(broker_url, settings):
    """A queue of its own (routed to, so /status looks at it) holding one message, and no worker."""
    name = f"schema-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.nothing": {"queue": name}}
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    with Connection(broker_url) as conn:
        conn.Producer().publish({"waiting": True}, exchange=queue.exchange, routing_key=name, declare=[queue])
    cache.delete(WORKER_HEARTBEAT_KEY)
    yield name
    with Connection(broker_url) as conn:
        queue(conn.default_channel).delete()


def queues_state(client) -> tuple[int, str, dict]:
    response = client.get("/status")
    body = response.json()
    return response.status_code, body["status"], body["dependencies"]["queues"]


def test_a_queue_with_a_message_and_no_consumer_is_degraded_naming_it(db, client, waiting_queue):
    status_code, status, queues = queues_state(client)
    assert status_code == 200 and status == "degraded"
    assert queues["up"] is False and queues["required"] is False
    assert f"{waiting_queue} (1 waiting)" in queues["detail"]
    assert "queues" in client.get("/status").json()["down"]


def test_a_worker_consuming_the_queue_makes_it_ok(db, client, waiting_queue, broker_url):
    with celery_worker(queues=waiting_queue, CELERY_BROKER_URL=broker_url, WORKER_HEARTBEAT_INTERVAL_S="1"):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not queues_state(client)[2]["up"]:
            time.sleep(0.5)
        queues = queues_state(client)[2]
        assert queues["up"] is True, queues
        assert queues["consumers"][waiting_queue] >= 1
        beats = cache.get(WORKER_HEARTBEAT_KEY)
        assert [beat["queues"] for beat in beats.values()] == [[waiting_queue]]
