"""The device WebSocket: authentication, telemetry with durable acks, presence, heartbeats."""

import pytest

from sensors.models import Sensor
from telemetry.consumers import CloseCode
from telemetry.models import ImuReading
from tests.factories import sensor_make
from tests.live.helpers import (closed_with, device_open, device_ready, in_thread, reading, receive, receive_until,
                                viewer_open)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_device_with_its_token_in_the_header_is_ready_and_shown_online(device):
    sensor, token = device
    socket = await device_open(sensor.pk, token)
    frame = await receive(socket)
    assert frame["type"] == "ready" and frame["sensor_id"] == sensor.pk
    stored = await in_thread(Sensor.objects.get)(pk=sensor.pk)
    assert stored.online and stored.connected_since is not None and stored.connection_channel
    await socket.disconnect()
    stored = await in_thread(Sensor.objects.get)(pk=sensor.pk)
    assert not stored.online and stored.connection_channel == ""


async def test_device_may_authenticate_with_a_first_auth_frame(device):
    sensor, token = device
    socket = await device_open(sensor.pk, None)
    await socket.send_json_to({"type": "auth", "token": token})
    assert (await receive(socket))["type"] == "ready"
    await socket.disconnect()


@pytest.mark.parametrize("how", ["wrong header", "wrong auth frame", "telemetry before auth"])
async def test_wrong_or_missing_token_closes_with_4401(device, how):
    sensor, _ = device
    if how == "wrong header":
        socket = await device_open(sensor.pk, "sd_not-the-token")
    else:
        socket = await device_open(sensor.pk, None)
        first = {"type": "auth", "token": "sd_wrong"} if how == "wrong auth frame" else {
            "type": "telemetry", "seq": 1, "readings": [reading(sensor.pk)]}
        await socket.send_json_to(first)
    assert await closed_with(socket) == CloseCode.UNAUTHORIZED
    assert not await in_thread(ImuReading.objects.exists)()


async def test_silence_instead_of_auth_closes_with_4401(device, settings):
    settings.DEVICE_AUTH_TIMEOUT = 0.2
    socket = await device_open(device[0].pk, None)
    assert await closed_with(socket) == CloseCode.UNAUTHORIZED


async def test_token_of_another_sensor_closes_with_4403(device, user):
    other, _ = await in_thread(sensor_make)(owner=user)
    socket = await device_open(other.pk, device[1])
    assert await closed_with(socket) == CloseCode.FORBIDDEN


async def test_frame_is_acked_only_once_stored_and_viewers_see_it_first(device, user):
    sensor, token = device
    viewer = await viewer_open(sensor.pk, user)
    assert (await receive(viewer))["type"] == "status"
    socket = await device_ready(sensor.pk, token)
    sent = reading(sensor.pk)
    await socket.send_json_to({"type": "telemetry", "seq": 7, "readings": [sent]})
    ack = await receive(socket)
    assert ack == {"type": "ack", "seq": 7, "accepted": 1, "rejected": []}
    # Eager cold path: when the ack is out, the reading is in the database.
    assert await in_thread(ImuReading.objects.filter(sensor_id=sensor.pk).count)() == 1
    live = await receive(viewer)
    assert live["type"] == "reading" and live["sensor_id"] == sensor.pk
    assert live["acceleration"]["z"] == 9.81 and live["battery_level"] == 87
    await socket.disconnect()
    await viewer.disconnect()


async def test_frames_behind_a_slow_hand_over_are_broadcast_at_once_and_acked_in_order(device, user, monkeypatch):
    """The device is not made to wait for storage: while frame 1's hand-over is stuck,
    frames 2 and 3 still reach viewers; no frame is acked before it is durable, and acks
    come in the order the frames were sent."""
    import threading

    from telemetry import coldpath

    hand_over_open, first_entered = threading.Event(), threading.Event()
    real_write = coldpath._embedded_write

    def slow_write(encoded):
        first_entered.set()
        hand_over_open.wait(10)
        real_write(encoded)

    monkeypatch.setattr(coldpath, "_embedded_write", slow_write)
    sensor, token = device
    viewer = await viewer_open(sensor.pk, user)
    assert (await receive(viewer))["type"] == "status"
    socket = await device_ready(sensor.pk, token)
    for seq in (1, 2, 3):
        await socket.send_json_to({"type": "telemetry", "seq": seq, "readings": [reading(sensor.pk, seconds_ago=10 - seq)]})
    seen = [await receive(viewer) for _ in range(3)]
    assert [frame["type"] for frame in seen] == ["reading"] * 3
    assert await socket.receive_nothing(timeout=0.3), "nothing is acked while the hand-over is pending"
    assert await in_thread(first_entered.is_set)()
    hand_over_open.set()
    acks = [await receive_until(socket, "ack") for _ in range(3)]  # pings may come between
    assert [ack["seq"] for ack in acks] == [1, 2, 3]
    assert await in_thread(ImuReading.objects.filter(sensor_id=sensor.pk).count)() == 3
    await socket.disconnect()
    await viewer.disconnect()


async def test_a_failed_hand_over_closes_with_4503_and_leaves_the_frame_unacked(device, monkeypatch):
    from telemetry import coldpath

    def database_down(encoded):
        raise coldpath.ColdPathUnavailable("The database is unavailable; retry later.")

    monkeypatch.setattr(coldpath, "_embedded_write", database_down)
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    await socket.send_json_to({"type": "telemetry", "seq": 1, "readings": [reading(sensor.pk)]})
    assert await closed_with(socket) == CloseCode.UNAVAILABLE
    assert not await in_thread(ImuReading.objects.exists)()


async def test_resend_after_reconnect_is_acked_again_and_stored_once(device):
    sensor, token = device
    frame = {"type": "telemetry", "seq": 1, "readings": [reading(sensor.pk, seconds_ago=5), reading(sensor.pk)]}
    for _ in range(2):
        socket = await device_ready(sensor.pk, token)
        await socket.send_json_to(frame)
        assert (await receive(socket))["seq"] == 1
        await socket.disconnect()
    assert await in_thread(ImuReading.objects.filter(sensor_id=sensor.pk).count)() == 2


async def test_invalid_frames_get_an_error_naming_the_field(device):
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    await socket.send_json_to({"type": "telemetry", "seq": "x", "readings": []})
    assert "seq" in (await receive(socket))["errors"]
    bad = {**reading(sensor.pk), "battery_level": 140}
    await socket.send_json_to({"type": "telemetry", "seq": 2, "readings": [bad]})
    error = await receive(socket)
    assert error["type"] == "error" and error["seq"] == 2
    assert "battery_level" in error["rejected"][0]["errors"]
    await socket.send_to(text_data="not json")
    assert "frame" in (await receive(socket))["errors"]
    await socket.send_json_to({"type": "telemetry", "seq": 3, "readings": [reading("someone-else")]})
    assert "sensor_id" in (await receive(socket))["rejected"][0]["errors"]
    await socket.disconnect()


async def test_second_connection_replaces_the_first(device):
    sensor, token = device
    first = await device_ready(sensor.pk, token)
    second = await device_ready(sensor.pk, token)
    assert await closed_with(first) == CloseCode.REPLACED
    await first.disconnect()
    stored = await in_thread(Sensor.objects.get)(pk=sensor.pk)
    assert stored.online, "the old socket closing must not mark the device offline"
    await second.send_json_to({"type": "ping"})
    assert (await receive(second))["type"] == "pong"
    await second.disconnect()


async def test_silent_device_is_pinged_then_closed_and_marked_offline(device, settings):
    settings.DEVICE_PING_INTERVAL = 0.1
    settings.DEVICE_IDLE_TIMEOUT = 0.4
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    assert (await receive(socket))["type"] == "ping"
    assert await closed_with(socket) == CloseCode.IDLE
    assert not (await in_thread(Sensor.objects.get)(pk=sensor.pk)).online


async def test_device_answering_pings_stays_connected(device, settings):
    settings.DEVICE_PING_INTERVAL = 0.3
    settings.DEVICE_IDLE_TIMEOUT = 1.0
    sensor, token = device
    socket = await device_ready(sensor.pk, token)
    for _ in range(5):  # 5 pings span more than the idle timeout
        assert (await receive(socket))["type"] == "ping"
        await socket.send_json_to({"type": "pong"})
    assert (await in_thread(Sensor.objects.get)(pk=sensor.pk)).online
    await socket.disconnect()
