"""Readings reach the rules through the one ingest path: accepted, written, then evaluated
on the "written" hook from the typed rows the writer stored."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import OperationalError

from alerts import evaluation
from alerts.models import Alarm, AlarmEvent
from telemetry import coldpath, ingest
from telemetry.schema import MetricRow
from tests.alerts.helpers import rule_make

pytestmark = pytest.mark.django_db


def recent(seconds_ago: float = 1) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def meter(make_sensor, user):
    sensor, token = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    return sensor, token


def test_a_reading_posted_by_a_device_raises_the_alarm(meter, user, device_client,
                                                       django_capture_on_commit_callbacks):
    sensor, token = meter
    rule_make(owner=user, sensor=sensor, condition="above", field="power", threshold=1000)
    with django_capture_on_commit_callbacks(execute=True):
        response = device_client(token).post("/api/v1/data/ingest", {
            "sensor_id": "meter-1", "timestamp": recent(), "metrics": {"power": 1500.0}}, format="json")
    assert response.status_code == 202
    assert Alarm.objects.get().last_value == 1500.0


def test_battery_low_from_a_motion_reading_and_from_a_metric_reading_s_battery_field(
        make_sensor, user, django_capture_on_commit_callbacks):
    make_sensor(owner=user, id="imu-1", device_type="imu")
    make_sensor(owner=user, id="meter-2", device_type="energy_meter")
    for device_type in ("imu", "energy_meter"):
        rule_make(owner=user, device_type=device_type, condition="battery_below", threshold=10)
    readings = [
        {"sensor_id": "imu-1", "timestamp": recent(), "acceleration": {"x": 0, "y": 0, "z": 9.81},
         "gyroscope": {"x": 0, "y": 0, "z": 0}, "battery_level": 4},
        {"sensor_id": "meter-2", "timestamp": recent(), "metrics": {"voltage": 230.0}, "battery_level": 6},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest.accept(payload={"readings": readings}, source="test", user=user)
    assert result.accepted == 2
    assert dict(Alarm.objects.values_list("sensor_id", "last_value")) == {"imu-1": 4, "meter-2": 6}


def test_a_batch_the_broker_redelivers_raises_and_announces_once(meter, user, django_capture_on_commit_callbacks):
    from workers.tasks.readings import readings_write_batch

    sensor, _ = meter
    rule_make(owner=user, sensor=sensor, condition="above", field="power", threshold=1000)
    batch = coldpath.ColdBatch(metrics=[MetricRow("meter-1", datetime.now(timezone.utc), "power", 1800.0)])
    message = coldpath.batch_encode(batch)
    for _delivery in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            readings_write_batch.apply(args=[message]).get()
    assert Alarm.objects.count() == 1 and AlarmEvent.objects.count() == 1


def test_an_evaluation_the_database_failed_is_retried_from_the_alerts_queue(meter, user, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    sensor, token = meter
    rule_make(owner=user, sensor=sensor, condition="above", field="power", threshold=1000)
    real = evaluation.batch_evaluate
    failures = []

    def database_away_once(*, batch):
        if not failures:
            failures.append(batch)
            raise OperationalError("server closed the connection unexpectedly")
        return real(batch=batch)

    monkeypatch.setattr(evaluation, "batch_evaluate", database_away_once)
    with django_capture_on_commit_callbacks(execute=True):
        ingest.accept(payload={"sensor_id": "meter-1", "timestamp": recent(), "metrics": {"power": 2000.0}},
                      source="test", device=sensor)
    assert len(failures) == 1
    assert Alarm.objects.get().last_value == 2000.0  # evaluated by the retry task (eager here)
