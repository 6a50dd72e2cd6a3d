"""Commands posted to the API reach MQTT devices: at once, or when they come online; expiry; results."""

import time

import pytest

from sensors.models import Command, CommandStatus, Sensor
from tests.mqtt.conftest import eventually
from tests.mqtt.device import Device
from transports.mqtt import topics

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def command_post(client, sensor_id: str, **body) -> dict:
    response = client.post(f"/api/v1/sensors/{sensor_id}/commands", {"params": {}, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def online(sensor_id: str) -> bool:
    return Sensor.objects.get(pk=sensor_id).online


def test_a_command_reaches_an_online_device_at_once_and_its_result_is_recorded(
        bridge, devices, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="cmd-online")
    device = devices(sensor, token)
    eventually(lambda: online(sensor.pk), what="online")

    posted = command_post(alice_client, sensor.pk, name="set_rate", params={"hz": 5})
    command = device.expect(topics.COMMANDS)
    assert command == {"type": "command", "id": posted["id"], "name": "set_rate", "params": {"hz": 5}}
    assert Command.objects.get(pk=posted["id"]).status == CommandStatus.SENT

    device.publish(topics.COMMAND_RESULT, {"id": posted["id"], "status": "ok", "result": {"hz": 5}})
    eventually(lambda: Command.objects.get(pk=posted["id"]).status == CommandStatus.ACKED, what="acked")
    listed = alice_client.get(f"/api/v1/sensors/{sensor.pk}/commands").json()["results"]
    assert listed[0]["status"] == "acked" and listed[0]["reply"] == {"hz": 5}


def test_a_command_for_an_offline_device_waits_and_is_delivered_when_it_connects(
        bridge, devices, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="cmd-offline")
    posted = command_post(alice_client, sensor.pk, name="identify")
    assert Command.objects.get(pk=posted["id"]).status == CommandStatus.QUEUED

    device = devices(sensor, token)
    assert device.expect(topics.COMMANDS)["id"] == posted["id"]
    device.publish(topics.COMMAND_RESULT, {"id": posted["id"], "status": "error", "result": {"error": "busy"}})
    eventually(lambda: Command.objects.get(pk=posted["id"]).status == CommandStatus.FAILED, what="failed")


def test_an_expired_command_is_never_delivered(bridge, devices, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="cmd-expired")
    stale = command_post(alice_client, sensor.pk, name="identify", ttl_seconds=1)
    fresh = command_post(alice_client, sensor.pk, name="status")
    time.sleep(1.5)  # past the first command's time to live

    device = devices(sensor, token)
    assert device.expect(topics.COMMANDS)["id"] == fresh["id"]
    assert device.quiet(topics.COMMANDS, seconds=1) == []
    assert Command.objects.get(pk=stale["id"]).status == CommandStatus.EXPIRED


def test_a_result_for_an_unknown_or_answered_command_gets_an_error(bridge, devices, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="cmd-unknown")
    device = devices(sensor, token)
    device.publish(topics.COMMAND_RESULT, {"id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "status": "ok"})
    assert device.expect(topics.ACK)["errors"] == {"id": ["Unknown, expired or already answered command."]}
    device.publish(topics.COMMAND_RESULT, {"id": "nope", "status": "ok"})
    assert device.expect(topics.ACK)["errors"] == {"id": ["Not a command id."]}


def test_another_sensors_command_never_reaches_a_device(bridge, devices, user, make_sensor, alice_client):
    mine, my_token = make_sensor(owner=user, id="cmd-mine")
    theirs, their_token = make_sensor(owner=user, id="cmd-theirs")
    device = devices(mine, my_token)
    other = Device(device.broker, theirs.pk, their_token)
    assert not other.connect().is_failure
    try:
        eventually(lambda: online(mine.pk) and online(theirs.pk), what="both online")
        posted = command_post(alice_client, theirs.pk, name="identify")
        assert other.expect(topics.COMMANDS)["id"] == posted["id"]
        assert device.quiet(topics.COMMANDS, seconds=1) == []
    finally:
        other.close()
