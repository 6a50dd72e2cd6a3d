"""CORS on the device fast path: a browser app posting with `Authorization: Device` gets the
same preflight answer and the same CORS headers as from the rest of /api/ (django-cors-headers)."""

import json

import pytest

from tests.telemetry.helpers import imu_batch
from tests.telemetry.test_http_ingest import AsgiCall, device_headers

pytestmark = pytest.mark.django_db(transaction=True)

APP = "https://app.example.com"
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-credentials", "access-control-expose-headers")


@pytest.fixture(autouse=True)
def _app_origin_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


async def test_the_preflight_of_a_device_post_allows_its_headers():
    call = await AsgiCall(b"", method="OPTIONS", headers={
        "host": "127.0.0.1", "origin": APP, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"}).run()
    headers = call.response_headers
    assert call.status == 200 and headers["access-control-allow-origin"] == APP
    assert "POST" in headers["access-control-allow-methods"]
    assert {"authorization", "content-type"} <= {h.strip() for h in headers["access-control-allow-headers"].split(",")}


async def test_a_device_post_from_an_allowed_origin_carries_the_headers_the_rest_of_the_api_sends(make_sensor, user):
    from asgiref.sync import sync_to_async

    sensor, token = await sync_to_async(make_sensor)(owner=user)
    body = json.dumps({"readings": imu_batch(sensor.pk, 3)}).encode()
    device = await AsgiCall(body, headers=device_headers(token, body, origin=APP)).run()
    assert device.status == 202
    assert device.response_headers["access-control-allow-origin"] == APP
    # The same request without a device token goes through Django and its CORS middleware (401 there).
    django = await AsgiCall(body, headers={**device_headers(token, body, origin=APP), "authorization": ""}).run()
    assert django.status == 401
    pick = lambda call: {name: call.response_headers.get(name) for name in CORS_HEADERS}  # noqa: E731
    assert pick(device) == pick(django)
    assert "origin" in device.response_headers["vary"] and "origin" in django.response_headers["vary"]


async def test_errors_of_the_fast_path_are_readable_by_the_browser_too(make_sensor, user):
    refused = await AsgiCall(b"[]", headers=device_headers("sd_not-a-token", b"[]", origin=APP)).run()
    assert refused.status == 401 and refused.response_headers["access-control-allow-origin"] == APP
    too_large = await AsgiCall(b"", headers={**device_headers("sd_x", origin=APP), "content-length": str(10**9)}).run()
    assert too_large.status == 413 and too_large.response_headers["access-control-allow-origin"] == APP


async def test_another_origin_gets_no_cors_grant(make_sensor, user):
    from asgiref.sync import sync_to_async

    sensor, token = await sync_to_async(make_sensor)(owner=user)
    body = json.dumps({"readings": imu_batch(sensor.pk, 1)}).encode()
    call = await AsgiCall(body, headers=device_headers(token, body, origin="https://evil.example.com")).run()
    assert call.status == 202 and "access-control-allow-origin" not in call.response_headers
