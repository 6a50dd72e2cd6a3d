"""Every datetime input refuses impossible times (minute 99, 30 February, a +25:00 offset)
with a 4xx naming the field, never a 500."""

import base64
import json
import uuid

import pytest

from sensors.models import DeviceType

BAD_TIMES = ["2024-01-01T12:99:00Z", "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+25:00"]


@pytest.fixture
def imu(make_sensor, user):
    return make_sensor(owner=user)


def reading(sensor_id: str, timestamp: str) -> dict:
    return {"sensor_id": sensor_id, "timestamp": timestamp, "acceleration": {"x": 0, "y": 0, "z": 9.81},
            "gyroscope": {"x": 0, "y": 0, "z": 0}}


def blink(timestamp: str) -> dict:
    return {"client_id": str(uuid.uuid4()), "timestamp": timestamp, "blink_count": 12, "interval_s": 60}


def assert_names(response, field: str, statuses=(400,)) -> None:
    assert response.status_code in statuses, response.content
    body = response.json()
    assert body["error"]
    assert field in str(body["details"]), body


@pytest.mark.parametrize("bad", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "end"])
def test_export_request(alice_client, imu, bad, field):
    body = {"sensor": imu[0].pk, "start": "2024-01-01T00:00:00Z", "end": "2024-01-02T00:00:00Z", field: bad}
    assert_names(alice_client.post("/api/v1/exports", body, format="json"), field)


@pytest.mark.parametrize("bad", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("path", ["/api/v1/data/{id}", "/api/v1/retrieve-data/{id}"])
def test_readings_query_range(alice_client, imu, bad, field, path):
    assert_names(alice_client.get(path.format(id=imu[0].pk), {field: bad}), field)


@pytest.mark.parametrize("micros", [10**20, -(10**20), "2024-02-30T00:00:00Z"])
def test_readings_query_cursor_holding_an_impossible_time(alice_client, imu, micros):
    forged = base64.urlsafe_b64encode(json.dumps({"t": micros, "o": "newest", "b": None}).encode()).decode()
    assert_names(alice_client.get(f"/api/v1/data/{imu[0].pk}", {"cursor": forged}), "cursor")


@pytest.mark.parametrize("bad", BAD_TIMES + ["2024-02-30"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_daily_totals_range(alice_client, make_sensor, user, bad, field):
    meter, _ = make_sensor(owner=user, device_type=DeviceType.ENERGY_METER)
    assert_names(alice_client.get(f"/api/v1/data/{meter.pk}/daily", {field: bad}), field)


@pytest.mark.parametrize("bad", BAD_TIMES + ["2024-02-30"])
@pytest.mark.parametrize("field", ["from", "to"])
def test_blink_stats_range(alice_client, bad, field):
    assert_names(alice_client.get("/api/v1/blink/stats", {field: bad}), field)


@pytest.mark.parametrize("bad", BAD_TIMES)
def test_blink_track(alice_client, bad):
    assert_names(alice_client.post("/api/v1/blink/track", blink(bad), format="json"), "timestamp", (400, 422))


@pytest.mark.parametrize("bad", BAD_TIMES)
def test_blink_sync_rejects_the_record_naming_the_field(alice_client, bad):
    response = alice_client.post("/api/v1/blink/sync", {"records": [blink(bad)]}, format="json")
    assert response.status_code in (200, 422), response.content
    [result] = response.json()["results"]
    assert result["outcome"] == "rejected" and "timestamp" in result["errors"]


@pytest.mark.parametrize("bad", BAD_TIMES)
@pytest.mark.parametrize("path", ["/api/v1/data/ingest", "/api/v1/store-data/"])
def test_ingest_rejects_the_reading_naming_the_field(device_client, imu, bad, path):
    sensor, token = imu
    response = device_client(token).post(path, reading(sensor.pk, bad), format="json")
    assert response.status_code in (400, 422), response.content
    [rejected] = response.json()["rejected"]
    assert "timestamp" in rejected["errors"]


@pytest.mark.parametrize("bad", BAD_TIMES)
@pytest.mark.parametrize("field", ["start", "end"])
def test_sensor_page_custom_range(client, user, password, imu, bad, field):
    client.login(username="alice", password=password)
    query = {"range": "custom", "start": "2024-01-01T00:00", field: bad}
    response = client.get(f"/sensors/{imu[0].pk}/", query)
    assert response.status_code == 200
    assert response.context["range_error"].field == field
    assert 'id="range-error"' in response.content.decode()
