"""The ASGI fast path in front of Django for device ingest (transports/http.py),
driven through the real ASGI application."""

import asyncio
import json
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from kombu.exceptions import OperationalError as BrokerError

from project.asgi import application
from transports.devices import device_tokens
from telemetry.models import ImuReading
from tests.telemetry.helpers import imu_batch, imu_reading

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=5)


class AsgiCall:
    """One HTTP request through the ASGI app; records whether the body was ever read."""

    def __init__(self, body: bytes, *, headers: dict[str, str], path: str = "/api/v1/data/ingest",
                 chunk: int | None = None, method: str = "POST"):
        self.path, self.headers, self.method = path, headers, method
        self.chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
        self.reads, self.sent = 0, []

    async def receive(self):
        self.reads += 1
        index = self.reads - 1
        if index >= len(self.chunks):
            await asyncio.Event().wait()  # the client stays connected until answered
        return {"type": "http.request", "body": self.chunks[index], "more_body": index < len(self.chunks) - 1}

    async def send(self, message):
        self.sent.append(message)

    async def run(self):
        scope = {"type": "http", "method": self.method, "path": self.path, "scheme": "http", "query_string": b"",
                 "http_version": "1.1", "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]}
        await application(scope, self.receive, self.send)
        return self

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    @property
    def response_headers(self) -> dict[str, str]:
        return {name.decode().lower(): value.decode() for name, value in self.sent[0]["headers"]}

    def json(self):
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


def device_headers(token: str, body: bytes | None = None, **extra) -> dict[str, str]:
    headers = {"host": "127.0.0.1", "authorization": f"Device {token}", "content-type": "application/json"}
    if body is not None:
        headers["content-length"] = str(len(body))
    headers.update(extra)
    return headers


@pytest.fixture(autouse=True)
def _fresh_token_cache():
    device_tokens.clear()
    yield
    device_tokens.clear()


@pytest.fixture
def imu(make_sensor, user):
    return make_sensor(owner=user)


async def test_a_device_batch_is_stored_and_answered_202(imu):
    sensor, token = imu
    body = json.dumps({"readings": imu_batch(sensor.pk, 100)}).encode()
    call = await AsgiCall(body, headers=device_headers(token, body)).run()
    assert call.status == 202
    assert call.json() == {"accepted": 100, "rejected": []}
    assert await ImuReading.objects.filter(sensor_id=sensor.pk).acount() == 100


async def test_store_data_is_served_the_same_way(imu):
    sensor, token = imu
    body = json.dumps(imu_reading(sensor.pk, NOW)).encode()
    call = await AsgiCall(body, headers=device_headers(token, body), path="/api/v1/store-data/").run()
    assert call.status == 202 and call.json()["accepted"] == 1


async def test_a_declared_body_over_the_limit_is_413_before_a_byte_is_read(imu):
    _, token = imu
    call = await AsgiCall(b"", headers=device_headers(token, **{"content-length": str(4 * 1024 * 1024 + 1)})).run()
    assert call.status == 413
    assert call.reads == 0
    assert set(call.json()) == {"error", "details"}


async def test_a_declared_body_over_the_limit_is_413_for_people_too(imu):
    call = await AsgiCall(b"", headers={"host": "127.0.0.1", "authorization": "Bearer x",
                                        "content-length": str(5 * 1024 * 1024)}).run()
    assert call.status == 413 and call.reads == 0


async def test_a_chunked_body_that_grows_over_the_limit_is_413(imu):
    sensor, token = imu
    body = json.dumps(imu_reading(sensor.pk, NOW)).encode() + b" " * (6 * 1024 * 1024)
    call = await AsgiCall(body, headers=device_headers(token), chunk=256 * 1024).run()
    assert call.status == 413
    assert call.reads < len(call.chunks)
    assert not await ImuReading.objects.aexists()


async def test_an_unknown_device_token_is_401_in_the_error_shape(imu):
    sensor, _ = imu
    body = json.dumps(imu_reading(sensor.pk, NOW)).encode()
    call = await AsgiCall(body, headers=device_headers("sd_not-a-token", body)).run()
    assert call.status == 401
    assert call.json() == {"error": "Invalid device token.", "details": {}}


async def test_a_device_cannot_send_another_sensors_readings(make_sensor, user, imu):
    _, token = imu
    other, _ = await make_sensor_async(make_sensor, user)
    body = json.dumps([imu_reading(other.pk, NOW)]).encode()
    call = await AsgiCall(body, headers=device_headers(token, body)).run()
    assert call.status == 422
    assert call.json()["rejected"][0]["errors"]["sensor_id"]
    assert not await ImuReading.objects.aexists()


async def make_sensor_async(make_sensor, user):
    from asgiref.sync import sync_to_async

    return await sync_to_async(make_sensor)(owner=user)


async def test_malformed_json_and_a_wrong_media_type_are_refused_in_the_error_shape(imu):
    _, token = imu
    broken = await AsgiCall(b'{"readings": [', headers=device_headers(token, b'{"readings": [')).run()
    assert broken.status == 400 and "JSON" in broken.json()["error"]
    text = await AsgiCall(b"hello", headers=device_headers(token, b"hello", **{"content-type": "text/plain"})).run()
    assert text.status == 415 and text.json()["error"]


async def test_a_broker_that_is_down_is_503_and_nothing_is_acknowledged(imu):
    from project.celery import app as celery_app
    from workers.tasks import readings_write_batch

    sensor, token = imu
    body = json.dumps(imu_reading(sensor.pk, NOW)).encode()
    celery_app.conf.task_always_eager = False
    try:
        with mock.patch.object(readings_write_batch, "delay", side_effect=BrokerError("connection refused")):
            call = await AsgiCall(body, headers=device_headers(token, body)).run()
    finally:
        celery_app.conf.task_always_eager = True
    assert call.status == 503
    assert "broker" in call.json()["error"]


async def test_people_with_a_jwt_go_through_django_to_the_same_contract(user, imu):
    from asgiref.sync import sync_to_async
    from rest_framework_simplejwt.tokens import RefreshToken

    sensor, _ = imu
    access = await sync_to_async(lambda: str(RefreshToken.for_user(user).access_token))()
    body = json.dumps(imu_reading(sensor.pk, NOW)).encode()
    call = await AsgiCall(body, headers={"host": "127.0.0.1", "authorization": f"Bearer {access}",
                                         "content-type": "application/json",
                                         "content-length": str(len(body))}).run()
    assert call.status == 202
    assert call.json() == {"accepted": 1, "rejected": []}
