"""Every documented operation, fed malformed bodies and nonsense query strings, answers a
4xx in the one error shape (or a success), never a 500. New endpoints join automatically."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import sensor_make

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [(path, method) for path, methods in SCHEMA["paths"].items() for method in methods]

MALFORMED_BODIES = [
    "[]", "[1, 2]", '"text"', "42", "null", "{not json", "{}", "\udcff".encode("utf-8", "surrogatepass"),
    '{"sensor_id": [1], "timestamp": {}, "readings": "x", "records": {}, "name": 1, "text": [1], "id": {},'
    ' "mac_address": 5, "params": "x", "command": [], "refresh": 1, "username": {}, "password": []}',
]
NONSENSE_QUERIES = [
    {"page": "x"}, {"page": "999999"}, {"page_size": "99999999999999999999"},
    {"start": "nope", "end": "2020-01-01"}, {"start": "2026-01-01T00:00:00"}, {"limit": "-1", "cursor": "%%%"},
    {"bucket": "zzz", "fields": "x", "metric": " "}, {"format": "csv", "kind": "zz"},
    {"status": "zzz", "device_type": "zzz", "search": "\x00"}, {"ordering": "-nope"},
]


def concrete(path: str, sensor_id: str) -> str:
    for name in ("{id}", "{sensor_id}", "{device_id}"):
        path = path.replace(name, sensor_id)
    return path.replace("{product_id}", "1").replace("{job_id}", "00000000-0000-0000-0000-000000000000")


def assert_not_a_server_error(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.json()
        assert {"error", "details"} <= set(body) and body["error"], (what, body)


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_malformed_input_never_gives_a_500(user, client_for, path, method):
    sensor, _token = sensor_make(owner=user, id="imu-fuzz")
    client = client_for(user)
    url = concrete(path, sensor.pk)
    if method in ("get", "delete", "head"):
        for query in NONSENSE_QUERIES:
            if method == "get":
                assert_not_a_server_error(client.get(url, query), (method, url, query))
        return
    for body in MALFORMED_BODIES:
        response = client.generic(method.upper(), url, body, content_type="application/json")
        assert_not_a_server_error(response, (method, url, body))


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_anonymous_and_wrong_credentials_get_a_4xx_in_the_one_shape(db, api_client, path, method):
    url = concrete(path, "imu-001")
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer not.a.jwt"}, {"HTTP_AUTHORIZATION": "Device nope"},
                   {"HTTP_AUTHORIZATION": "Basic"}):
        response = api_client.generic(method.upper(), url, "{}", content_type="application/json", **header)
        assert_not_a_server_error(response, (method, url, header))
