from datetime import datetime, timedelta, timezone

from telemetry.models import ImuReading, MetricReading

A_MINUTE_AGO = datetime.now(timezone.utc).replace(microsecond=123000) - timedelta(minutes=1)
READING = {
    "sensor_id": None,
    "timestamp": A_MINUTE_AGO.isoformat().replace("+00:00", "Z"),
    "acceleration": {"x": 0.01, "y": -0.02, "z": 9.81},
    "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3},
    "battery_level": 87,
    "signal_strength": -61,
}


def test_device_posts_one_reading_and_it_is_stored(db, make_sensor, user, device_client):
    sensor, token = make_sensor(owner=user)
    response = device_client(token).post("/api/v1/data/ingest", {**READING, "sensor_id": sensor.pk}, format="json")
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 1, "rejected": []}
    stored = ImuReading.objects.get(sensor_id=sensor.pk)
    assert (stored.accel_z, stored.gyro_z, stored.battery_level) == (9.81, -0.3, 87)
    assert stored.timestamp.microsecond == 123000
    sensor.refresh_from_db()
    assert sensor.battery_level == 87 and sensor.signal_strength == -61 and sensor.last_seen is not None


def test_metric_batch_with_one_bad_reading_reports_it_by_index(db, make_sensor, user, alice_client):
    sensor, _ = make_sensor(owner=user, device_type="energy_meter")
    good = {"sensor_id": sensor.pk, "timestamp": int(A_MINUTE_AGO.timestamp() * 1000), "metrics": {"voltage": 53.2, "current": 1.2}}
    bad = {"sensor_id": sensor.pk, "timestamp": A_MINUTE_AGO.replace(tzinfo=None).isoformat(), "metrics": {"voltage": 1.0}}
    response = alice_client.post("/api/v1/data/ingest", {"readings": [good, bad]}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    assert body["rejected"][0]["index"] == 1 and "timestamp" in body["rejected"][0]["errors"]
    assert MetricReading.objects.filter(sensor_id=sensor.pk).count() == 2


def test_same_reading_twice_is_stored_once(db, make_sensor, user, device_client):
    sensor, token = make_sensor(owner=user)
    client = device_client(token)
    for _ in range(2):
        assert client.post("/api/v1/data/ingest", [{**READING, "sensor_id": sensor.pk}], format="json").status_code == 202
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 1


def test_device_cannot_write_another_sensors_readings(db, make_sensor, user, device_client):
    mine, token = make_sensor(owner=user)
    other, _ = make_sensor(owner=user)
    response = device_client(token).post("/api/v1/data/ingest", {**READING, "sensor_id": other.pk}, format="json")
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"]["sensor_id"]
    assert not ImuReading.objects.exists()
