"""Viewer sockets: who may watch, what they receive, and how a slow viewer is bounded."""

import json

import pytest
from django.test import Client

from telemetry import live
from telemetry.consumers import CloseCode
from telemetry.schema import readings_validate
from tests.factories import UserFactory
from tests.live.helpers import (
    access_token,
    closed_with,
    device_ready,
    in_thread,
    reading,
    receive,
    receive_until,
    socket_open,
    viewer_open,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_viewer_is_refused_with_4401(device):
    viewer = await viewer_open(device[0].pk)
    assert await closed_with(viewer) == CloseCode.UNAUTHORIZED


async def test_viewer_with_a_bad_token_is_refused(device):
    viewer = await socket_open(f"/ws/data/stream/{device[0].pk}/?token=not-a-jwt")
    assert await closed_with(viewer) == CloseCode.UNAUTHORIZED


async def test_other_users_sensor_and_unknown_sensor_are_refused_alike(device, other_user):
    for sensor_id in (device[0].pk, "no-such-sensor"):
        viewer = await viewer_open(sensor_id, other_user)
        assert await closed_with(viewer) == CloseCode.FORBIDDEN


async def test_staff_may_watch_any_sensor(device, staff_user):
    viewer = await viewer_open(device[0].pk, staff_user)
    assert (await receive(viewer))["type"] == "status"
    await viewer.disconnect()


async def test_browser_viewer_signs_in_with_the_session_cookie(device, user):
    def session_cookie():
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    cookie = await in_thread(session_cookie)()
    viewer = await socket_open(f"/ws/data/stream/{device[0].pk}/",
                               [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://127.0.0.1")])
    status = await receive(viewer)
    assert status["type"] == "status" and status["sensor_id"] == device[0].pk and status["online"] is False
    await viewer.disconnect()


async def test_capped_viewer_gets_coalesced_batches_and_a_count_of_what_was_dropped(device, user, settings):
    settings.LIVE_VIEWER_QUEUE = 5
    sensor = device[0]
    viewer = await viewer_open(sensor.pk, user, "max_fps=2")
    await receive(viewer)  # status
    readings = [reading(sensor.pk, seconds_ago=60 - i) for i in range(21)]
    await live.readings_broadcast_async(readings=readings[:1])
    assert (await receive(viewer))["timestamp"] == readings[0]["timestamp"]
    # While the viewer waits for its next slot (1/2 s), 20 more arrive: 5 fit its queue.
    await live.readings_broadcast_async(readings=readings[1:])
    batch = await receive(viewer)
    assert batch["type"] == "batch"
    assert [frame["timestamp"] for frame in batch["frames"]] == [r["timestamp"] for r in readings[-5:]]
    assert await receive(viewer) == {"type": "dropped", "count": 15, "total": 15}
    await viewer.disconnect()


async def test_invalid_rate_cap_is_refused_naming_the_parameter(device, user):
    viewer = await viewer_open(device[0].pk, user, "max_fps=fast")
    assert "max_fps" in (await receive(viewer))["errors"]
    assert await closed_with(viewer) == CloseCode.BAD_REQUEST


async def test_fleet_stream_shows_own_sensors_going_online_and_offline_only(device, user, other_user):
    sensor, token = device
    theirs = await socket_open(f"/ws/fleet/?token={access_token(other_user)}")
    mine = await socket_open(f"/ws/fleet/?token={access_token(user)}")
    snapshot = await receive(mine)
    assert snapshot["type"] == "snapshot" and [s["sensor_id"] for s in snapshot["sensors"]] == [sensor.pk]
    assert (await receive(theirs))["sensors"] == []

    socket = await device_ready(sensor.pk, token)
    online = await receive_until(mine, "status")
    assert online["sensor_id"] == sensor.pk and online["online"] is True and online["connected_since"]
    await socket.disconnect()
    offline = await receive_until(mine, "status")
    assert offline["online"] is False
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_staff_fleet_stream_sees_every_sensor(device):
    staff = await in_thread(UserFactory)(username="ops", is_staff=True)
    fleet = await socket_open(f"/ws/fleet/?token={access_token(staff)}")
    assert device[0].pk in [s["sensor_id"] for s in (await receive(fleet))["sensors"]]
    socket = await device_ready(device[0].pk, device[1])
    assert (await receive_until(fleet, "status"))["online"] is True
    await socket.disconnect()
    await fleet.disconnect()








def test_reading_frames_are_encoded_once_as_the_viewer_frame():
    wire = reading("imu-001")
    assert json.loads(live.reading_frame_text(wire)) == {"type": "reading", **wire}


def test_a_batch_of_validated_readings_encodes_to_one_viewer_frame_each():
    wires = [reading("imu-001", seconds_ago=2), reading("imu-001", seconds_ago=1)]
    for wire in wires:  # to the millisecond, as validation sends it on
        wire["timestamp"] = wire["timestamp"][:23] + "Z"
    validated = readings_validate(wires)
    frames = live.reading_frame_texts([entry[2] for entry in validated.accepted])
    assert [json.loads(frame) for frame in frames] == [{"type": "reading", **wire} for wire in wires]
