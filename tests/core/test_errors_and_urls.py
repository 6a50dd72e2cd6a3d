import pytest
from django.db import IntegrityError

from core.errors import conflict_from_integrity_error


@pytest.mark.parametrize("path", ["/api/v1/data/ingest/", "/api/v1/products/events/", "/api/v1/user/profile/",
                                  "/api/v1/auth/login/"])
def test_api_paths_answer_with_a_trailing_slash_without_redirecting(user, alice_client, path):
    response = alice_client.post(path, {}, format="json")
    assert response.status_code not in (301, 302, 308, 404, 500), (path, response.status_code)
    assert response["Content-Type"] == "application/json"


def test_seed_compat_path_answers_without_its_trailing_slash(user, alice_client):
    response = alice_client.post("/api/v1/store-data", {}, format="json")
    assert response.status_code not in (301, 404, 500)


def test_unknown_api_path_is_a_json_404(user, alice_client):
    response = alice_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "details": {}}


def test_oversized_body_is_413(user, alice_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = alice_client.post("/api/v1/sensors", {"id": "s-1", "name": "x" * 2000}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]


def test_wrong_content_type_is_415(user, alice_client):
    response = alice_client.post("/api/v1/sensors", "id=s-1&name=n", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["error"]


@pytest.mark.parametrize("message, field", [
    ("UNIQUE constraint failed: sensors_sensor.mac_address", "mac_address"),
    ('duplicate key value violates unique constraint "sensors_sensor_pkey"\nDETAIL:  Key (id)=(imu-1) already exists.',
     "id"),
])
def test_integrity_errors_name_the_field(message, field):
    assert field in conflict_from_integrity_error(IntegrityError(message)).detail


def test_integrity_error_without_a_field_is_still_a_409():
    assert conflict_from_integrity_error(IntegrityError("FOREIGN KEY constraint failed")).status_code == 409
