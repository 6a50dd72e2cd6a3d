"""Commands to devices: the API, delivery online and on reconnect, expiry, device replies."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from sensors.models import Command, CommandStatus
from tests.conftest import jwt_client_for
from tests.live.helpers import device_ready, in_thread, receive

pytestmark = pytest.mark.django_db(transaction=True)


def post_command(user, sensor_id: str, **body):
    return jwt_client_for(user).post(f"/api/v1/sensors/{sensor_id}/commands", body, format="json")


async def command_post(user, sensor_id: str, **body) -> dict:
    response = await in_thread(post_command)(user, sensor_id, **body)
    assert response.status_code == 201, response.content
    return response.json()


async def command_status(command_id: str) -> Command:
    return await in_thread(Command.objects.get)(pk=command_id)


async def test_command_reaches_connected_device_at_once_and_its_reply_acks_it(device, user):
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    created = await command_post(user, sensor.pk, name="set_rate", params={"hz": 5}, ttl_seconds=60)
    assert created["status"] == "queued" and created["created_by"] == "alice"
    frame = await receive(socket)
    assert frame == {"type": "command", "id": created["id"], "name": "set_rate", "params": {"hz": 5}}
    assert (await command_status(created["id"])).status == CommandStatus.SENT
    await socket.send_json_to({"type": "command_result", "id": created["id"], "status": "ok",
                               "result": {"hz": 5}})
    await socket.send_json_to({"type": "ping"})
    assert (await receive(socket))["type"] == "pong"  # the result was handled before the ping
    command = await command_status(created["id"])
    assert command.status == CommandStatus.ACKED and command.reply == {"hz": 5} and command.completed_at
    await socket.disconnect()


async def test_device_failure_reply_marks_the_command_failed_with_the_reply(device, user):
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    created = await command_post(user, sensor.pk, name="calibrate")
    await receive(socket)
    await socket.send_json_to({"type": "command_result", "id": created["id"], "status": "error",
                               "result": {"error": "motor busy"}})
    await socket.send_json_to({"type": "ping"})
    await receive(socket)
    command = await command_status(created["id"])
    assert command.status == CommandStatus.FAILED and command.reply == {"error": "motor busy"}
    # A second answer to a settled command is refused.
    await socket.send_json_to({"type": "command_result", "id": created["id"], "status": "ok"})
    assert "id" in (await receive(socket))["errors"]
    await socket.disconnect()


async def test_offline_command_is_queued_then_delivered_on_reconnect_unless_expired(device, user):
    sensor, token = device
    stale = await command_post(user, sensor.pk, name="reboot", ttl_seconds=30)
    fresh = await command_post(user, sensor.pk, name="blink", params={"times": 3})
    await in_thread(Command.objects.filter(pk=stale["id"]).update)(expires_at=timezone.now() - timedelta(seconds=1))
    assert (await command_status(fresh["id"])).status == CommandStatus.QUEUED
    socket = await device_ready(sensor.pk, token)
    frame = await receive(socket)
    assert frame["id"] == fresh["id"] and frame["params"] == {"times": 3}
    assert await socket.receive_nothing(timeout=0.3)
    assert (await command_status(fresh["id"])).status == CommandStatus.SENT
    assert (await command_status(stale["id"])).status == CommandStatus.EXPIRED
    await socket.disconnect()


def test_commands_api_lists_with_status_and_validates(db, device, user, other_user, alice_client, bob_client):
    sensor, _ = device
    assert post_command(user, sensor.pk, name="set_rate", params={"hz": 5}).status_code == 201
    listed = alice_client.get(f"/api/v1/sensors/{sensor.pk}/commands").json()["results"]
    assert [(c["name"], c["status"], c["ttl_seconds"]) for c in listed] == [("set_rate", "queued", 300)]

    bad = alice_client.post(f"/api/v1/sensors/{sensor.pk}/commands",
                            {"name": "", "params": [1], "ttl_seconds": 0}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["details"]) == {"name", "params", "ttl_seconds"}
    # Another user cannot see, list or command the sensor.
    assert bob_client.get(f"/api/v1/sensors/{sensor.pk}/commands").status_code == 404
    assert bob_client.post(f"/api/v1/sensors/{sensor.pk}/commands", {"name": "x"}, format="json").status_code == 404


def test_a_commands_created_by_is_the_username_as_the_schema_documents(db, device, user):
    # The schema said integer (the user's id) while the API answered the username; clients
    # generated from the schema failed on every command.
    sensor, _ = device
    body = post_command(user, sensor.pk, name="ping").json()
    documented = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]["Command"]
    assert body["created_by"] == user.username
    assert documented["properties"]["created_by"]["type"] == "string"


def test_listing_shows_commands_past_their_ttl_as_expired(db, device, user, alice_client):
    sensor, _ = device
    post_command(user, sensor.pk, name="reboot", ttl_seconds=5)
    Command.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert alice_client.get(f"/api/v1/sensors/{sensor.pk}/commands").json()["results"][0]["status"] == "expired"


def test_staff_may_command_any_sensor(db, device, staff_user):
    assert post_command(staff_user, device[0].pk, name="ping").status_code == 201
