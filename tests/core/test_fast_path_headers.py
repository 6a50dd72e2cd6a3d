"""The device fast path (`POST /api/v1/data/ingest`, answered in front of Django) sends the
headers Django's middleware sends for the same request: the request id and the security
headers. The slash variant `/api/v1/data/ingest/` is the same request served by Django."""

import json

import pytest
from asgiref.sync import sync_to_async

from project.asgi import django_asgi_app
from tests.telemetry.helpers import imu_batch
from tests.telemetry.test_http_ingest import AsgiCall, device_headers

pytestmark = pytest.mark.django_db(transaction=True)

# Headers that belong to the body or the view rather than to the middleware.
NOT_MIDDLEWARE = {"content-type", "content-length", "allow", "vary", "x-request-id"}


async def both(body: bytes, headers: dict[str, str]) -> tuple[AsgiCall, AsgiCall]:
    fast = await AsgiCall(body, headers=headers).run()
    django = await AsgiCall(body, headers=headers, path="/api/v1/data/ingest/").run()
    return fast, django


def middleware_headers(call: AsgiCall) -> dict[str, str]:
    return {name: value for name, value in call.response_headers.items() if name not in NOT_MIDDLEWARE}


@pytest.fixture
async def device(make_sensor, user):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    return sensor, token


def requests_for(sensor, token) -> dict[int, tuple[bytes, dict[str, str]]]:
    good = json.dumps({"readings": imu_batch(sensor.pk, 2)}).encode()
    return {
        202: (good, device_headers(token, good)),
        400: (b"{not json", device_headers(token, b"{not json")),
        401: (good, device_headers("sd_not-a-token", good)),
        413: (b"", device_headers(token, **{"content-length": str(4 * 1024 * 1024 + 1)})),
    }


@pytest.mark.parametrize("status", [202, 400, 401, 413])
async def test_the_fast_path_sends_the_headers_django_sends_for_the_same_request(device, status):
    body, headers = requests_for(*device)[status]
    fast, django = await both(body, headers)
    assert (fast.status, django.status) == (status, status)
    assert "x-content-type-options" in middleware_headers(django)  # Django's middleware did run
    assert middleware_headers(fast) == middleware_headers(django)
    assert fast.response_headers["x-request-id"] and django.response_headers["x-request-id"]


@pytest.mark.parametrize("status", [202, 401, 413])
async def test_a_sane_request_id_is_echoed_and_a_bad_one_replaced(device, status):
    body, headers = requests_for(*device)[status]
    echoed = await AsgiCall(body, headers={**headers, "x-request-id": "gateway-7.batch:42"}).run()
    assert echoed.response_headers["x-request-id"] == "gateway-7.batch:42"
    body, headers = requests_for(*device)[status]
    replaced = await AsgiCall(body, headers={**headers, "x-request-id": "bad id\twith spaces"}).run()
    assert replaced.response_headers["x-request-id"] not in ("", "bad id\twith spaces")
    again = await AsgiCall(body, headers=headers).run()
    assert again.response_headers["x-request-id"] != replaced.response_headers["x-request-id"]


@pytest.fixture
def hsts_on(settings):
    """HSTS for an hour, as a restarted server would have it: Django builds its middleware
    (which reads the HSTS settings) when the application loads."""
    before = settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = 3600, True
    django_asgi_app.load_middleware(is_async=True)
    yield
    settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = before
    django_asgi_app.load_middleware(is_async=True)


@pytest.mark.parametrize("status", [202, 401, 413])
async def test_hsts_over_https_follows_the_settings_like_django(device, hsts_on, status):
    body, headers = requests_for(*device)[status]
    fast, django = await both(body, {**headers, "x-forwarded-proto": "https"})
    assert fast.response_headers["strict-transport-security"] == "max-age=3600; includeSubDomains"
    assert middleware_headers(fast) == middleware_headers(django)
    plain = await AsgiCall(body, headers=headers).run()
    assert "strict-transport-security" not in plain.response_headers
