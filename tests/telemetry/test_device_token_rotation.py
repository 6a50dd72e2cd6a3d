"""A rotated or revoked device token stops working at once in every process, although each
process remembers tokens for TELEMETRY_DEVICE_TOKEN_CACHE_S (sensors/credentials.py)."""

import json
import urllib.error
import urllib.request
from unittest import mock

import pytest
from asgiref.sync import sync_to_async

from sensors import selectors
from sensors.services import sensor_delete, sensor_status_set, sensor_token_rotate
from sensors.models import Sensor
from transports.devices import DeviceTokenCache, device_tokens
from telemetry.consumers import CloseCode
from tests.live.helpers import closed_with, device_ready
from tests.servers import daphne_server
from tests.telemetry.helpers import imu_batch
from tests.telemetry.test_http_ingest import AsgiCall, device_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _long_memory(settings):
    settings.TELEMETRY_DEVICE_TOKEN_CACHE_S = 3600  # what follows is not the TTL running out
    device_tokens.clear()
    yield
    device_tokens.clear()


async def post(token: str, sensor_id: str) -> AsgiCall:
    body = json.dumps({"readings": imu_batch(sensor_id, 2)}).encode()
    return await AsgiCall(body, headers=device_headers(token, body)).run()


async def test_a_rotated_token_is_refused_at_once_by_every_process(make_sensor, user):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    other_process = DeviceTokenCache()  # the same memory another web process keeps
    assert (await post(token, sensor.pk)).status == 202
    assert (await other_process.sensor_for(token)).pk == sensor.pk

    new_token = await sync_to_async(sensor_token_rotate)(sensor=sensor)
    refused = await post(token, sensor.pk)
    assert refused.status == 401 and refused.json()["error"] == "Invalid device token."
    assert await other_process.sensor_for(token) is None
    assert (await post(new_token, sensor.pk)).status == 202
    assert (await other_process.sensor_for(new_token)).pk == sensor.pk


async def test_a_deleted_sensors_token_is_refused_at_once(make_sensor, user):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    assert (await post(token, sensor.pk)).status == 202
    await sync_to_async(sensor_delete)(sensor=sensor)
    assert (await post(token, sensor.pk)).status == 401


async def test_a_deactivated_sensor_is_refused_at_once(make_sensor, user):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    assert (await post(token, sensor.pk)).status == 202
    await sync_to_async(sensor_status_set)(sensors=Sensor.objects.filter(pk=sensor.pk), status="inactive")
    refused = await post(token, sensor.pk)
    assert refused.status == 422
    assert refused.json()["rejected"][0]["errors"] == {"sensor_id": ["Sensor is inactive; activate it to accept readings."]}


@pytest.mark.parametrize("change", ["rotate", "delete", "deactivate"])
async def test_an_open_device_socket_is_closed_when_its_token_stops_holding(make_sensor, user, change):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    socket = await device_ready(sensor.pk, token)
    sensor = await Sensor.objects.aget(pk=sensor.pk)  # as the API reads it: with its connection
    if change == "rotate":
        await sync_to_async(sensor_token_rotate)(sensor=sensor)
    elif change == "delete":
        await sync_to_async(sensor_delete)(sensor=sensor)
    else:
        await sync_to_async(sensor_status_set)(sensors=Sensor.objects.filter(pk=sensor.pk), status="inactive")
    assert await closed_with(socket) == CloseCode.UNAUTHORIZED


async def test_an_unchanged_token_is_not_looked_up_again(make_sensor, user):
    sensor, token = await sync_to_async(make_sensor)(owner=user)
    with mock.patch("transports.devices.sensor_get_by_token", wraps=selectors.sensor_get_by_token) as lookup:
        for _ in range(3):
            assert (await post(token, sensor.pk)).status == 202
    assert lookup.call_count == 1


@pytest.mark.services
@pytest.mark.slow
def test_rotation_through_one_daphne_reaches_another(make_sensor, user):
    from tests.live.helpers import access_token

    sensor, token = make_sensor(owner=user)

    def ingest(server, device_token: str) -> int:
        body = json.dumps({"readings": imu_batch(sensor.pk, 2)}).encode()
        request = urllib.request.Request(f"{server.url}/api/v1/data/ingest", data=body, method="POST", headers={
            "Authorization": f"Device {device_token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with daphne_server(TELEMETRY_DEVICE_TOKEN_CACHE_S="3600") as a, \
            daphne_server(TELEMETRY_DEVICE_TOKEN_CACHE_S="3600") as b:
        assert (ingest(a, token), ingest(b, token)) == (202, 202)
        request = urllib.request.Request(f"{a.url}/api/v1/sensors/{sensor.pk}/rotate-token", method="POST",
                                         headers={"Authorization": f"Bearer {access_token(user)}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            new_token = json.loads(response.read())["token"]
        assert (ingest(a, token), ingest(b, token)) == (401, 401)
        assert (ingest(a, new_token), ingest(b, new_token)) == (202, 202)
