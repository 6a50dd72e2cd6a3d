"""POST /api/v1/data/ingest (and /store-data/): what a device or a person sees."""

import json
import threading
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerError

from telemetry.models import ImuReading, MetricReading
from tests.telemetry.helpers import imu_batch, imu_reading, iso

URL = "/api/v1/data/ingest"
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def imu(make_sensor, user):
    return make_sensor(owner=user)


def post_raw(client, body: str, url: str = URL):
    return client.post(url, body, content_type="application/json")


def test_a_batch_of_readings_is_stored_and_sensor_state_updated_once(imu, device_client):
    sensor, token = imu
    batch = imu_batch(sensor.pk, 200)
    batch[-1]["battery_level"], batch[-1]["signal_strength"] = 42, -70
    with CaptureQueriesContext(connection) as queries:
        response = device_client(token).post(URL, {"readings": batch}, format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 200, "rejected": []}
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 200
    sensor_updates = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "sensors_sensor"')]
    assert len(sensor_updates) == 1
    sensor.refresh_from_db()
    assert (sensor.battery_level, sensor.signal_strength) == (42, -70)
    assert sensor.last_seen == datetime.fromisoformat(batch[-1]["timestamp"])


def test_a_bare_array_and_epoch_milliseconds_are_accepted(imu, device_client):
    sensor, token = imu
    reading = imu_reading(sensor.pk, NOW, timestamp=int(NOW.timestamp() * 1000))
    response = device_client(token).post(URL, [reading], format="json")
    assert response.status_code == 202
    assert ImuReading.objects.get(sensor_id=sensor.pk).timestamp == NOW


def test_store_data_alias_has_the_same_contract(imu, device_client):
    sensor, token = imu
    response = device_client(token).post("/api/v1/store-data/", imu_reading(sensor.pk, NOW), format="json")
    assert response.status_code == 202 and response.json()["accepted"] == 1
    assert ImuReading.objects.filter(sensor_id=sensor.pk).exists()


def test_each_bad_reading_is_reported_with_its_reason_and_the_rest_stored(imu, device_client):
    sensor, token = imu
    readings = [
        imu_reading(sensor.pk, NOW - timedelta(seconds=1)),                       # 0 good
        imu_reading(sensor.pk, NOW + timedelta(days=2)),                          # 1 far future
        imu_reading(sensor.pk, NOW - timedelta(seconds=2), battery_level=140),    # 2 battery
        imu_reading(sensor.pk, NOW - timedelta(seconds=3), signal_strength=300),  # 3 signal
        imu_reading(sensor.pk, NOW - timedelta(seconds=4), acceleration={"x": "fast", "y": 0, "z": 0}),  # 4 type
        imu_reading(sensor.pk, NOW - timedelta(seconds=5), timestamp="2026-11-22T10:00:00"),  # 5 naive
    ]
    response = device_client(token).post(URL, {"readings": readings}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    reasons = {entry["index"]: entry["errors"] for entry in body["rejected"]}
    assert set(reasons) == {1, 2, 3, 4, 5}
    assert "future" in reasons[1]["timestamp"][0]
    assert "100" in reasons[2]["battery_level"][0]
    assert "dBm" in reasons[3]["signal_strength"][0]
    assert "acceleration.x" in reasons[4]
    assert "zone" in reasons[5]["timestamp"][0]
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 1


def test_nan_and_infinity_are_rejected_with_a_reason(imu, device_client):
    sensor, token = imu
    good = json.dumps(imu_reading(sensor.pk, NOW))
    nan = good.replace('"x": 0.01', '"x": NaN')
    inf = json.dumps(imu_reading(sensor.pk, NOW - timedelta(seconds=1))).replace('"z": -0.3', '"z": -Infinity')
    response = post_raw(device_client(token), f"[{nan}, {inf}]")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] and body["details"]["readings"]
    errors = {entry["index"]: entry["errors"] for entry in body["rejected"]}
    assert "finite" in errors[0]["acceleration"][0] and "finite" in errors[1]["gyroscope"][0]
    assert not ImuReading.objects.exists()


def test_a_batch_with_no_valid_reading_is_422(imu, device_client):
    sensor, token = imu
    response = device_client(token).post(URL, [imu_reading(sensor.pk, NOW, battery_level=-1)], format="json")
    assert response.status_code == 422
    assert response.json()["accepted"] == 0


def test_more_than_10000_readings_is_413(imu, device_client):
    sensor, token = imu
    response = device_client(token).post(URL, imu_batch(sensor.pk, 10_001), format="json")
    assert response.status_code == 413
    assert "10000" in response.json()["error"]
    assert not ImuReading.objects.exists()


def test_a_body_over_4_mb_is_413_in_the_error_shape(imu, device_client):
    sensor, token = imu
    padding = " " * (4 * 1024 * 1024)
    response = post_raw(device_client(token), json.dumps(imu_reading(sensor.pk, NOW)) + padding)
    assert response.status_code == 413
    assert set(response.json()) == {"error", "details"}


def test_malformed_json_is_400_in_the_error_shape(imu, device_client):
    _, token = imu
    response = post_raw(device_client(token), '{"readings": [')
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_a_device_token_writes_only_its_own_sensor(make_sensor, user, device_client):
    mine, token = make_sensor(owner=user)
    other, _ = make_sensor(owner=user)
    batch = [imu_reading(mine.pk, NOW), imu_reading(other.pk, NOW)]
    response = device_client(token).post(URL, batch, format="json")
    assert response.status_code == 202
    assert response.json()["rejected"] == [
        {"index": 1, "errors": {"sensor_id": ["A device token may only send its own sensor's readings."]}}]
    assert list(ImuReading.objects.values_list("sensor_id", flat=True)) == [mine.pk]


def test_a_wrong_device_token_is_401(imu, device_client):
    sensor, _ = imu
    response = device_client("not-a-token").post(URL, imu_reading(sensor.pk, NOW), format="json")
    assert response.status_code == 401
    assert response.json()["error"]


def test_a_person_writes_only_their_own_sensors(make_sensor, user, other_user, bob_client):
    alices, _ = make_sensor(owner=user)
    response = bob_client.post(URL, imu_reading(alices.pk, NOW), format="json")
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"]["sensor_id"] == ["Unknown sensor."]
    assert not ImuReading.objects.exists()


def test_metric_readings_are_stored_by_name(make_sensor, user, alice_client):
    meter, _ = make_sensor(owner=user, device_type="energy_meter")
    reading = {"sensor_id": meter.pk, "timestamp": iso(NOW), "metrics": {"voltage": 230.5, "energy_kwh": 1.25}}
    assert alice_client.post(URL, reading, format="json").status_code == 202
    stored = dict(MetricReading.objects.filter(sensor_id=meter.pk).values_list("name", "value"))
    assert stored == {"voltage": 230.5, "energy_kwh": 1.25}


def test_the_same_batch_twice_is_stored_once(imu, device_client):
    sensor, token = imu
    batch = imu_batch(sensor.pk, 50)
    client = device_client(token)
    for _ in range(2):
        assert client.post(URL, batch, format="json").json()["accepted"] == 50
    # An overlapping batch: the known half is skipped, the new half stored.
    overlapping = batch[25:] + imu_batch(sensor.pk, 10, start=NOW)
    assert client.post(URL, overlapping, format="json").status_code == 202
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 60


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_the_same_batch_store_it_once(make_sensor, user, device_client):
    sensor, token = make_sensor(owner=user)
    batch = imu_batch(sensor.pk, 500)
    start = threading.Barrier(2)
    statuses = []

    def post():
        client = device_client(token)
        start.wait()
        try:
            statuses.append(client.post(URL, batch, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [202, 202]
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 500


def test_a_broker_that_is_down_gives_503_and_nothing_is_acknowledged(imu, device_client, settings):
    from project.celery import app as celery_app
    from workers.tasks import readings_write_batch

    sensor, token = imu
    celery_app.conf.task_always_eager = False
    try:
        with mock.patch.object(readings_write_batch, "delay", side_effect=BrokerError("connection refused")):
            response = device_client(token).post(URL, imu_reading(sensor.pk, NOW), format="json")
    finally:
        celery_app.conf.task_always_eager = True
    assert response.status_code == 503
    assert "broker" in response.json()["error"]
