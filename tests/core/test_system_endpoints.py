import re
import time

import pytest
from django.core.cache import cache

from tests.servers import celery_worker, daphne_server, free_port
from core.heartbeat import WORKER_HEARTBEAT_KEY, worker_heartbeat_record

REQUIRED = {"database", "cache", "channel_layer", "broker"}


def test_health_is_ok_without_touching_dependencies(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_health_refuses_post_with_405(client):
    assert client.post("/health").status_code == 405


def test_status_reports_every_dependency_up_with_latency(db, client, settings):
    response = client.get("/status")
    assert response.status_code == 200, response.json()
    body = response.json()
    # With a real broker and no worker running in this test, only the worker may be missing,
    # and so the consumer of a queue holding messages.
    assert set(body["down"]) <= {"worker", "queues"}
    assert body["status"] == ("degraded" if body["down"] else "ok")
    with_broker = {"queues"} if settings.CELERY_BROKER_URL else set()
    assert set(body["dependencies"]) == REQUIRED | {"worker", "storage"} | with_broker
    for name in REQUIRED:
        state = body["dependencies"][name]
        assert state["up"] is True and state["required"] is True
        assert isinstance(state["latency_ms"], float) and state["latency_ms"] >= 0
    assert body["dependencies"]["worker"]["required"] is False
    assert body["dependencies"]["storage"]["required"] is False


def test_status_is_503_naming_a_required_dependency_that_is_down(db, client, settings):
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{free_port()}//"
    response = client.get("/status")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert "broker" in body["down"]
    assert body["dependencies"]["broker"]["up"] is False
    assert body["dependencies"]["broker"]["detail"]
    assert body["dependencies"]["database"]["up"] is True


def test_status_is_503_when_the_cache_is_down(db, client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    response = client.get("/status")
    assert response.status_code == 503
    assert "cache" in response.json()["down"]


def test_a_missing_worker_heartbeat_degrades_but_does_not_fail_status(db, client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    body = client.get("/status")
    assert body.status_code == 200
    assert body.json()["status"] == "degraded" and body.json()["down"] == ["worker"]


def test_a_fresh_worker_heartbeat_shows_in_status(db, client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    worker_heartbeat_record(hostname="w1@gateway")
    worker_heartbeat_record(hostname="w2@gateway", at=time.time() - 3600 + 5)
    worker = client.get("/status").json()["dependencies"]["worker"]
    assert worker["up"] is True
    assert list(worker["workers"]) == ["w1@gateway"]


def test_a_stale_worker_heartbeat_is_reported_down(db, client, settings):
    settings.CELERY_BROKER_URL = "memory://"
    worker_heartbeat_record(hostname="w1@gateway", at=time.time() - settings.WORKER_HEARTBEAT_STALE_S - 5)
    worker = client.get("/status").json()["dependencies"]["worker"]
    assert worker["up"] is False and "w1@gateway" in worker["detail"]


def test_metrics_counts_requests_by_route_in_prometheus_text(db, client):
    client.get("/health")
    client.get("/api/v1/sensors")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert re.search(r'sensorium_http_requests_total\{method="GET",route="health",status="200"\} \d', text)
    assert re.search(r'sensorium_http_requests_total\{method="GET",route="api/v1/sensors",status="401"\} \d', text)
    assert 'sensorium_http_request_duration_seconds_bucket{le="0.005",method="GET",route="health"}' in text


def test_metrics_token_when_configured(db, client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


@pytest.mark.services
@pytest.mark.slow
def test_status_over_http_with_a_real_worker_heartbeat(transactional_db, settings):
    """A real Daphne and a real Celery worker on the services stack: /status sees the worker."""
    import json
    import urllib.request

    cache.delete(WORKER_HEARTBEAT_KEY)
    with daphne_server() as server, celery_worker(WORKER_HEARTBEAT_INTERVAL_S="1"):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{server.url}/status", timeout=10) as response:
                    body = json.load(response)
            except urllib.error.HTTPError as error:
                body = json.load(error)
            if body["dependencies"]["worker"]["up"]:
                break
            time.sleep(0.5)
        assert body["status"] == "ok", body
        configured_layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
        assert body["dependencies"]["channel_layer"]["detail"] == configured_layer
        assert body["dependencies"]["database"]["detail"] == "postgresql"
        assert settings.CELERY_TASK_DEFAULT_QUEUE in body["dependencies"]["broker"]["queue_depth"]
