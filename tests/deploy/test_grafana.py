"""deploy/grafana/sensorium.json is a Grafana dashboard, and every metric its panels query is
one the running app exports (so the dashboard cannot drift from the code)."""

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from telemetry import coldpath, hooks
from tests.telemetry.helpers import imu_batch, iso
from transports.ble.status import gateway_counters_publish
from workers.tasks import readings_write_batch

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "sensorium.json"
METRIC_NAME = re.compile(r"\bsensorium_[a-z0-9_]+\b")


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard: dict):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def exprs(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel.get("targets", [])]


def test_it_is_a_grafana_dashboard(dashboard):
    assert {"title", "uid", "panels", "schemaVersion", "time", "templating"} <= set(dashboard)
    assert isinstance(dashboard["schemaVersion"], int) and dashboard["uid"]
    datasources = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert [v["query"] for v in datasources] == ["prometheus"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["type"] and panel["title"], panel
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["targets"] and panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert all(target["expr"] and target["refId"] for target in panel["targets"])


def test_it_shows_what_an_operator_asked_for(dashboard):
    queried = " ".join(exprs(dashboard))
    for wanted in ("sensorium_http_requests_total", "sensorium_http_request_duration_seconds_bucket",
                   "sensorium_celery_tasks_total", "sensorium_celery_task_duration_seconds_bucket",
                   "sensorium_readings_written_total", "sensorium_readings_write_duration_seconds_bucket",
                   "sensorium_ble_connected"):
        assert wanted in queried, wanted
    assert "histogram_quantile(0.99" in queried


def receiver_that_fails(**payload) -> None:
    raise RuntimeError("a consumer of readings broke")


@pytest.fixture
def failing_receiver():
    hooks.written.connect(receiver_that_fails)
    yield
    hooks.written.disconnect(receiver_that_fails)


@pytest.fixture
def traffic(user, make_sensor, alice_client, monkeypatch, failing_receiver):
    """Requests, a readings write through the real Celery task (its signals feed the worker
    metrics), a hook receiver failing, and a BLE gateway's report."""
    monkeypatch.setattr(coldpath, "_eager", lambda: False)
    monkeypatch.setattr(coldpath, "_publisher", type("TaskNow", (), {"submit": staticmethod(
        lambda batch: readings_write_batch.apply(args=[coldpath.batch_encode(batch)]).get())})())
    sensor, _ = make_sensor(owner=user)
    readings = imu_batch(sensor.pk, 3) + [{"sensor_id": sensor.pk, "metrics": {"voltage": 230.0},
                                          "timestamp": iso(datetime.now(timezone.utc) - timedelta(minutes=1))}]
    assert alice_client.post("/api/v1/data/ingest", {"readings": readings}, format="json").status_code == 202
    assert alice_client.get(f"/api/v1/data/{sensor.pk}").status_code == 200
    gateway_counters_publish(gateway="gw-test", counters={"connected": 1, "packets": 10, "decoded": 9})


@pytest.mark.django_db(transaction=True)  # the written hook runs after a real commit
def test_every_metric_in_a_panel_is_in_a_real_scrape(dashboard, traffic):
    scrape = Client().get("/metrics")
    assert scrape.status_code == 200
    exported = {sample.name for family in text_string_to_metric_families(scrape.content.decode())
                for sample in family.samples}
    used = {name for expr in exprs(dashboard) for name in METRIC_NAME.findall(expr)}
    assert used and not used - exported, sorted(used - exported)
