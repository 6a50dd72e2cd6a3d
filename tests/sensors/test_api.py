import hashlib

import pytest
from django.db import IntegrityError

from sensors.models import Sensor
from tests.api_mixins import ApiCrudTests
from tests.factories import sensor_make


class TestSensorApi(ApiCrudTests):
    collection_url = "/api/v1/sensors"
    model = Sensor
    create_body = {"id": "imu-100", "name": "Forklift", "device_type": "imu", "mac_address": "AA:BB:CC:DD:EE:01"}
    update_body = {"name": "Forklift 2", "status": "inactive"}
    invalid_body = ({"id": "imu-101", "name": "x", "mac_address": "not-a-mac"}, "mac_address")

    def make(self, *, owner):
        return sensor_make(owner=owner)[0]


def test_device_type_defaults_to_imu(user, alice_client):
    response = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "Plain"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["device_type"] == "imu"


@pytest.mark.parametrize("spelling", ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabbccddeeff", " AA:BB:CC:DD:EE:FF "])
def test_mac_address_is_stored_normalised(user, alice_client, spelling):
    response = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "n", "mac_address": spelling}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["mac_address"] == "AA:BB:CC:DD:EE:FF"
    assert Sensor.objects.get(pk="s-1").mac_address == "AA:BB:CC:DD:EE:FF"


@pytest.mark.parametrize("bad", ["AA:BB:CC:DD:EE", "GG:BB:CC:DD:EE:FF", "AA:BB-CC:DD:EE:FF", "AABBCCDDEEFF00", 12])
def test_invalid_mac_address_is_400_naming_the_field(user, alice_client, bad):
    response = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "n", "mac_address": bad}, format="json")
    assert response.status_code == 400
    assert "mac_address" in response.json()["details"]
    assert not Sensor.objects.exists()


def test_mac_address_taken_in_another_spelling_is_refused(user, other_user, alice_client):
    sensor_make(owner=other_user, mac_address="AA:BB:CC:DD:EE:FF")
    response = alice_client.post("/api/v1/sensors", {"id": "s-2", "name": "n", "mac_address": "aa-bb-cc-dd-ee-ff"},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["details"]["mac_address"] == ["A sensor with this MAC address is already registered."]


def test_changing_mac_to_a_taken_one_is_refused(user, alice_client):
    sensor_make(owner=user, mac_address="AA:BB:CC:DD:EE:FF")
    mine, _ = sensor_make(owner=user, mac_address="AA:BB:CC:DD:EE:00")
    response = alice_client.patch(f"/api/v1/sensors/{mine.pk}", {"mac_address": "aabbccddeeff"}, format="json")
    assert response.status_code == 400 and "mac_address" in response.json()["details"]
    mine.refresh_from_db()
    assert mine.mac_address == "AA:BB:CC:DD:EE:00"


def test_duplicate_id_is_400_naming_id(user, other_user, alice_client):
    sensor_make(owner=other_user, id="taken")
    response = alice_client.post("/api/v1/sensors", {"id": "taken", "name": "n"}, format="json")
    assert response.status_code == 400 and "id" in response.json()["details"]


def test_id_cannot_be_changed(user, alice_client):
    mine, _ = sensor_make(owner=user, id="keep-me")
    response = alice_client.patch("/api/v1/sensors/keep-me", {"id": "renamed", "name": "x"}, format="json")
    assert response.status_code == 200
    assert Sensor.objects.filter(pk="keep-me").exists() and not Sensor.objects.filter(pk="renamed").exists()


def test_a_uniqueness_race_lost_in_the_database_is_409_naming_the_field(user, alice_client, monkeypatch):
    # Two registrations passing validation at once: the database refuses the second.
    def lose_race(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: sensors_sensor.mac_address")

    monkeypatch.setattr("sensors.api.sensor_create", lose_race)
    response = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "n", "mac_address": "AA:BB:CC:DD:EE:FF"},
                                 format="json")
    assert response.status_code == 409
    assert response.json()["details"] == {"mac_address": ["A record with this mac_address already exists."]}


@pytest.mark.parametrize("body, field", [
    ({"id": "s-1", "name": "n", "device_type": "toaster"}, "device_type"),
    ({"id": "s-1", "name": "n", "status": "broken"}, "status"),
    ({"id": "s 1", "name": "n"}, "id"),
    ({"id": "x" * 51, "name": "n"}, "id"),
    ({"id": "s-1"}, "name"),
    ({"id": "s-1", "name": {"nested": 1}}, "name"),
])
def test_bad_fields_are_400_naming_the_field(user, alice_client, body, field):
    response = alice_client.post("/api/v1/sensors", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_filters_and_search(user, alice_client):
    sensor_make(owner=user, id="imu-a", name="Forklift motion", device_type="imu")
    sensor_make(owner=user, id="meter-a", name="Panel", device_type="energy_meter", status="inactive")
    listed = lambda **params: [s["id"] for s in alice_client.get("/api/v1/sensors", params).json()["results"]]  # noqa: E731
    assert listed(device_type="energy_meter") == ["meter-a"]
    assert listed(status="inactive") == ["meter-a"]
    assert listed(search="forklift") == ["imu-a"]
    assert alice_client.get("/api/v1/sensors", {"status": "nope"}).status_code == 400


@pytest.mark.parametrize("page", ["abc", "99"])
def test_a_page_that_does_not_exist_is_404_naming_page(user, alice_client, page):
    sensor_make(owner=user)
    response = alice_client.get("/api/v1/sensors", {"page": page})
    assert response.status_code == 404 and "page" in response.json()["details"]


def test_token_is_shown_once_and_stored_only_as_a_hash(user, alice_client):
    created = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "n"}, format="json").json()
    token = created["token"]
    assert len(token) >= 32
    stored = Sensor.objects.get(pk="s-1")
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in Sensor.objects.filter(pk="s-1").values().get().values()}
    assert "token" not in alice_client.get("/api/v1/sensors/s-1").json()
    assert all("token" not in item for item in alice_client.get("/api/v1/sensors").json()["results"])


READING = {"timestamp": 1764500000000, "metrics": {"temperature": 21.5}}


def test_device_token_authenticates_and_a_wrong_one_is_rejected(user, device_client):
    sensor, token = sensor_make(owner=user)
    accepted = device_client(token).post("/api/v1/data/ingest", {**READING, "sensor_id": sensor.pk}, format="json")
    assert accepted.status_code == 202, accepted.content
    refused = device_client(token + "x").post("/api/v1/data/ingest", {**READING, "sensor_id": sensor.pk}, format="json")
    assert refused.status_code == 401
    assert refused.json()["error"] == "Invalid device token."


def test_rotating_the_token_retires_the_old_one(user, alice_client, device_client):
    sensor, old = sensor_make(owner=user)
    response = alice_client.post(f"/api/v1/sensors/{sensor.pk}/rotate-token")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    body = {**READING, "sensor_id": sensor.pk}
    assert device_client(old).post("/api/v1/data/ingest", body, format="json").status_code == 401
    assert device_client(new).post("/api/v1/data/ingest", body, format="json").status_code == 202


def test_another_users_token_cannot_be_rotated(user, other_user, alice_client, device_client):
    theirs, token = sensor_make(owner=other_user)
    assert alice_client.post(f"/api/v1/sensors/{theirs.pk}/rotate-token").status_code == 404
    body = {**READING, "sensor_id": theirs.pk}
    assert device_client(token).post("/api/v1/data/ingest", body, format="json").status_code == 202


def test_a_device_token_gives_no_access_to_the_registry(user, device_client):
    _sensor, token = sensor_make(owner=user)
    response = device_client(token).get("/api/v1/sensors")
    assert response.status_code in (401, 403)
