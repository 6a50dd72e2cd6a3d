"""The OpenAPI schema at /api/schema/ tells the truth: every GET answers what its schema says
(lists paginated, reading rows typed), errors have the documented shape, one trailing-slash
style, a description on every operation. Bodies come from the running server (Django's
test client through the whole middleware stack), checked with jsonschema against the
documented schemas (OpenAPI 3.0's `nullable` turned into JSON Schema's null type)."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone
from drf_spectacular.validation import validate_schema
from jsonschema import Draft4Validator

from sensors.models import Command, DeviceType, Sensor
from sensors.services import command_create
from telemetry.models import ExportJob, ExportKind
from tests.telemetry.helpers import imu_batch, iso

pytestmark = pytest.mark.django_db
NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def json_schema(node):
    """OpenAPI 3.0's schema objects as JSON Schema (draft 4, which 3.0 extends): `nullable`
    becomes "or null"."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") is True else converted


def validator_for(schema: dict, target: dict) -> Draft4Validator:
    # The whole document is the root, so that "#/components/schemas/..." resolves.
    return Draft4Validator(json_schema({**target, "components": schema["components"]}))


def schemas_with_a_default(node, where=""):
    if isinstance(node, dict):
        if "default" in node and ("type" in node or "enum" in node):
            yield where, node
        for key, value in node.items():
            yield from schemas_with_a_default(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas_with_a_default(value, f"{where}/{index}")


def documented_body(schema: dict, path: str, method: str, status: int) -> dict:
    responses = schema["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answered {status}, which its schema does not list"
    return responses[str(status)]["content"]["application/json"]["schema"]


def assert_matches(schema: dict, path: str, method: str, response) -> None:
    body = documented_body(schema, path, method, response.status_code)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in validator_for(schema, body).iter_errors(response.json())]
    assert not errors, (method.upper(), path, response.status_code, errors[:5])


@pytest.fixture
def fleet(user, make_sensor, alice_client):
    """Something behind every GET: IMU and metric readings, commands, an export job, a product."""
    imu, _ = make_sensor(owner=user, id="imu-schema")
    meter, _ = make_sensor(owner=user, id="meter-schema", device_type=DeviceType.ENERGY_METER)
    readings = imu_batch(imu.pk, 5, start=NOW - timedelta(minutes=10))
    readings += [{"sensor_id": meter.pk, "timestamp": iso(NOW - timedelta(minutes=m)),
                  "metrics": {"voltage": 230.0 + m, "energy_kwh": 0.1}} for m in range(1, 6)]
    assert alice_client.post("/api/v1/data/ingest", {"readings": readings}, format="json").status_code == 202
    for n in range(3):
        command_create(sensor=imu, name=f"ping-{n}", params={}, ttl_seconds=60, created_by=user)
    job = ExportJob.objects.create(user=user, sensor=imu, kind=ExportKind.IMU, start=NOW - timedelta(days=1), end=NOW)
    product = alice_client.post("/api/v1/products/events", {"name": "drill", "location": "shelf A",
                                                            "event_type": "added"}, format="json")
    assert product.status_code == 201, product.json()
    return {"id": imu.pk, "sensor_id": imu.pk, "device_id": imu.pk, "job_id": str(job.pk),
            "product_id": product.json()["product"]["id"], "provider": "none"}


def get_operations(schema: dict):
    for path, methods in schema["paths"].items():
        if "get" in methods:
            yield path, methods["get"]


def filled(path: str, values: dict) -> str:
    return re.sub(r"{(\w+)}", lambda match: str(values[match.group(1)]), path)


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)
    # Which the meta-schema does not check: a default is one of the values its schema allows
    # (the products list's `status` defaulted to "" outside its enum).
    for where, node in schemas_with_a_default(schema["paths"]):
        described = {key: value for key, value in node.items() if key != "default"}
        assert validator_for(schema, described).is_valid(node["default"]), (where, node)


def test_every_get_answers_what_its_schema_says(schema, fleet, alice_client):
    checked = []
    for path, operation in get_operations(schema):
        if path.startswith("/api/v1/jobs/"):
            continue  # collect jobs need a gateway; tests/sensors covers them
        response = alice_client.get(filled(path, fleet))
        assert_matches(schema, path, "get", response)
        checked.append((path, response.status_code))
    assert ("/api/v1/exports", 200) in checked and ("/api/v1/sensors/{id}/commands", 200) in checked


@pytest.mark.parametrize("path", ["/api/v1/sensors", "/api/v1/products", "/api/v1/exports",
                                  "/api/v1/sensors/{id}/commands"])
def test_lists_are_documented_and_sent_as_pages(schema, fleet, alice_client, path):
    body = documented_body(schema, path, "get", 200)
    component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    assert {"count", "next", "previous", "results"} <= set(component["properties"])
    parameters = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
    assert {"page", "page_size"} <= parameters
    sent = alice_client.get(filled(path, fleet), {"page_size": 1}).json()
    assert sent["count"] >= 1 and len(sent["results"]) == 1


def test_commands_page_past_the_old_200_limit(fleet, user, alice_client):
    sensor_id = fleet["id"]
    sensor = Sensor.objects.get(pk=sensor_id)
    for n in range(205):
        command_create(sensor=sensor, name=f"bulk-{n}", params={}, ttl_seconds=60, created_by=user)
    seen, url = [], f"/api/v1/sensors/{sensor_id}/commands?page_size=100"
    while url:
        page = alice_client.get(url).json()
        seen += [command["id"] for command in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 208 == page["count"]


READING_QUERIES = {
    "ImuRow": ("imu-schema", {}),
    "ImuBucketRow": ("imu-schema", {"bucket": "1m"}),
    "MetricRow": ("meter-schema", {"metric": "voltage"}),
    "MetricBucketRow": ("meter-schema", {"metric": "voltage", "bucket": "1m"}),
}


@pytest.mark.parametrize("row_type", READING_QUERIES)
def test_each_reading_row_matches_exactly_its_documented_row_type(schema, fleet, alice_client, row_type):
    sensor_id, params = READING_QUERIES[row_type]
    response = alice_client.get(f"/api/v1/data/{sensor_id}", {"start": iso(NOW - timedelta(hours=1)), **params})
    assert_matches(schema, "/api/v1/data/{sensor_id}", "get", response)
    rows = response.json()["results"]
    assert rows
    row_types = schema["components"]["schemas"]["ReadingRow"]["oneOf"]
    for row in rows:
        matching = [ref["$ref"].rsplit("/", 1)[-1] for ref in row_types if validator_for(schema, ref).is_valid(row)]
        assert matching == [row_type], row


def test_some_imu_fields_only_still_match_the_imu_row(schema, fleet, alice_client):
    response = alice_client.get("/api/v1/data/imu-schema", {"fields": "accel_x,battery_level",
                                                            "start": iso(NOW - timedelta(hours=1))})
    assert_matches(schema, "/api/v1/data/{sensor_id}", "get", response)
    assert response.json()["results"][0]["acceleration"].keys() == {"x"}


def test_error_bodies_match_the_documented_error_and_its_typed_details(schema, fleet, alice_client, api_client):
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["details"] == {"$ref": "#/components/schemas/ErrorDetails"}
    cases = [
        ("/api/v1/sensors", "post", alice_client.post("/api/v1/sensors", {"id": "x", "mac_address": "nope"},
                                                      format="json")),
        ("/api/v1/data/ingest", "post", alice_client.post("/api/v1/data/ingest", "{not json",
                                                          content_type="application/json")),
        ("/api/v1/sensors/{id}", "get", alice_client.get("/api/v1/sensors/nobody-has-this")),
        ("/api/v1/sensors", "get", api_client.get("/api/v1/sensors")),
        ("/api/v1/data/{sensor_id}", "get", alice_client.get("/api/v1/data/imu-schema", {"end": "yesterday"})),
        ("/api/v1/sensors", "post", alice_client.post("/api/v1/sensors", "x", content_type="text/plain")),
    ]
    for path, method, response in cases:
        assert response.status_code >= 400
        assert_matches(schema, path, method, response)
    details = cases[0][2].json()["details"]
    assert isinstance(details["mac_address"], list) and all(isinstance(m, str) for m in details["mac_address"])


def test_nested_field_errors_match_the_recursive_details(schema):
    details = {"profile": {"timezone": ["Unknown time zone."]}, "name": ["Required."]}
    assert validator_for(schema, schema["components"]["schemas"]["ErrorDetails"]).is_valid(details)
    assert not validator_for(schema, schema["components"]["schemas"]["ErrorDetails"]).is_valid({"name": "Required."})


def test_paths_have_one_style_and_answer_both_ways(schema, fleet, alice_client):
    assert not [path for path in schema["paths"] if path.endswith("/")]
    for path, operation in get_operations(schema):
        if path.startswith("/api/v1/jobs/"):
            continue
        url = filled(path, fleet)
        assert alice_client.get(url).status_code == alice_client.get(url + "/").status_code, path
    for path in ("/api/v1/collect-data", "/api/v1/store-data", "/api/v1/data/ingest"):
        assert "post" in schema["paths"][path]
        without, with_slash = (alice_client.post(url, {}, format="json") for url in (path, path + "/"))
        assert without.status_code == with_slash.status_code and without.status_code not in (404, 405), path


def test_every_operation_has_a_description(schema):
    undocumented = [(method, path) for path, methods in schema["paths"].items()
                    for method, operation in methods.items() if not operation.get("description", "").strip()]
    assert not undocumented


def test_overdue_commands_in_the_list_keep_the_documented_status_values(schema, fleet, alice_client):
    Command.objects.update(expires_at=django_timezone.now() - timedelta(seconds=1))
    response = alice_client.get(f"/api/v1/sensors/{fleet['id']}/commands")
    assert_matches(schema, "/api/v1/sensors/{id}/commands", "get", response)
    assert {command["status"] for command in response.json()["results"]} == {"expired"}
