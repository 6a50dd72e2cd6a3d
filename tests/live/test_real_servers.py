"""Live path through real Daphne processes on loopback (and Redis across processes)."""

import asyncio
import json
import socket
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
import websockets

from tests.live.helpers import access_token
from tests.servers import daphne_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def readings_for(sensor_id: str, frame: int, per_frame: int) -> list[dict]:
    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    return [{"sensor_id": sensor_id,
             "timestamp": (start + timedelta(milliseconds=frame * per_frame + i)).isoformat().replace("+00:00", "Z"),
             "acceleration": {"x": 0.01 * i, "y": -0.02, "z": 9.81}, "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3}}
            for i in range(per_frame)]


async def frames_of(socket, kind: str, count: int, timeout: float = 30) -> list[dict]:
    found = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                found.append(frame)
    return found


async def stalled_viewer_connect(url: str, port: int):
    """A viewer that stops reading after one frame, with a tiny receive window, so what the
    server sends it piles up on the server side."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    raw.setblocking(False)
    return await websockets.connect(url, sock=raw, max_queue=1, max_size=2**20)


async def drain(socket) -> list[dict]:
    """Everything the server still has for this socket (until it goes quiet)."""
    frames = []
    while True:
        try:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), 2)))
        except asyncio.TimeoutError:
            return frames


def test_a_stalled_viewer_delays_neither_the_device_nor_another_viewer_and_its_backlog_is_bounded(device, user):
    sensor, token = device
    frames, per_frame = 60, 100

    async def scenario(server):
        viewer_url = f"{server.ws_url}/ws/data/stream/{sensor.pk}/?token={access_token(user)}"
        stalled = await stalled_viewer_connect(viewer_url, server.port)
        watcher = await websockets.connect(viewer_url)
        device_socket = await websockets.connect(f"{server.ws_url}/ws/devices/{sensor.pk}/",
                                                 additional_headers={"Authorization": f"Device {token}"})
        assert json.loads(await device_socket.recv())["type"] == "ready"

        async def send_all():
            for seq in range(frames):  # 10,000 readings/s: a pace a reading viewer keeps up with
                await device_socket.send(json.dumps({"type": "telemetry", "seq": seq,
                                                     "readings": readings_for(sensor.pk, seq, per_frame)}))
                await asyncio.sleep(0.01)

        sender = asyncio.ensure_future(send_all())
        acks, seen = await asyncio.gather(frames_of(device_socket, "ack", frames),
                                          frames_of(watcher, "reading", frames * per_frame))
        await sender
        assert [ack["seq"] for ack in acks] == list(range(frames))
        assert len({frame["timestamp"] for frame in seen}) == frames * per_frame
        # The stalled viewer did not get everything queued for it: past its send buffer the
        # server kept only its newest frames and tells it how many it missed.
        late = await drain(stalled)
        delivered = [frame for frame in late if frame["type"] == "reading"]
        dropped = sum(frame["count"] for frame in late if frame["type"] == "dropped")
        assert dropped > 0 and len(delivered) + dropped == frames * per_frame
        assert delivered[-1]["timestamp"] == seen[-1]["timestamp"], "the newest frames are the ones kept"
        for each in (device_socket, watcher, stalled):
            await each.close()

    with daphne_server(LIVE_VIEWER_SEND_BUFFER_BYTES="65536", LIVE_VIEWER_QUEUE="256") as server:
        asyncio.run(scenario(server))


def http(method: str, url: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.services
def test_device_on_one_process_reaches_viewers_and_commands_from_others(device, user):
    sensor, token = device
    jwt = access_token(user)

    async def scenario(a, b, c):
        viewer = await websockets.connect(f"{b.ws_url}/ws/data/stream/{sensor.pk}/?token={jwt}")
        fleet = await websockets.connect(f"{b.ws_url}/ws/fleet/?token={jwt}")
        assert json.loads(await viewer.recv())["online"] is False
        assert json.loads(await fleet.recv())["type"] == "snapshot"

        on_a = await websockets.connect(f"{a.ws_url}/ws/devices/{sensor.pk}/",
                                        additional_headers={"Authorization": f"Device {token}"})
        assert json.loads(await on_a.recv())["type"] == "ready"
        assert (await frames_of(fleet, "status", 1))[0]["online"] is True

        sent = readings_for(sensor.pk, 0, 1)[0]
        await on_a.send(json.dumps({"type": "telemetry", "seq": 1, "readings": [sent]}))
        assert (await frames_of(on_a, "ack", 1))[0]["seq"] == 1
        seen = (await frames_of(viewer, "reading", 1))[0]
        assert seen["acceleration"] == sent["acceleration"] and seen["timestamp"][:23] == sent["timestamp"][:23]

        created = await asyncio.to_thread(http, "POST", f"{c.url}/api/v1/sensors/{sensor.pk}/commands", jwt,
                                          {"name": "set_rate", "params": {"hz": 10}})
        command = (await frames_of(on_a, "command", 1))[0]
        assert command["id"] == created["id"] and command["params"] == {"hz": 10}
        await on_a.send(json.dumps({"type": "command_result", "id": command["id"], "status": "ok",
                                    "result": {"hz": 10}}))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            listed = (await asyncio.to_thread(http, "GET", f"{b.url}/api/v1/sensors/{sensor.pk}/commands",
                                              jwt))["results"]  # the newest page
            if listed[0]["status"] == "acked":
                break
            await asyncio.sleep(0.1)
        assert listed[0]["status"] == "acked" and listed[0]["reply"] == {"hz": 10}

        # The same device reconnecting through another process takes over; A's socket is closed.
        on_b = await websockets.connect(f"{b.ws_url}/ws/devices/{sensor.pk}/",
                                        additional_headers={"Authorization": f"Device {token}"})
        assert json.loads(await on_b.recv())["type"] == "ready"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(10):
                while True:
                    await on_a.recv()
        assert closed.value.rcvd.code == 4409
        for socket in (on_b, viewer, fleet):
            await socket.close()

    # The cold path of these servers writes in-process: this test is about the live path.
    with daphne_server(CELERY_TASK_ALWAYS_EAGER="1") as a, daphne_server(CELERY_TASK_ALWAYS_EAGER="1") as b, \
            daphne_server(CELERY_TASK_ALWAYS_EAGER="1") as c:
        asyncio.run(scenario(a, b, c))


def test_simulated_fleet_streams_readings_and_answers_commands(user):
    import threading

    from django.core.management import call_command

    from sensors.management.commands.simulate_fleet import simulated_sensors_ensure
    from sensors.models import Command, CommandStatus, Sensor
    from sensors.services import command_create
    from telemetry.models import ImuReading

    simulated_sensors_ensure(owner=user, count=4)
    # Queued while the device is offline, so it is delivered when the device connects
    # (whatever channel layer this process has).
    command = command_create(sensor=Sensor.objects.get(pk="sim-imu-001"), name="set_rate", params={"hz": 4},
                             ttl_seconds=120, created_by=user)
    with daphne_server(CELERY_TASK_ALWAYS_EAGER="1") as server:  # stored in-process: no worker needed
        fleet = threading.Thread(target=call_command, args=("simulate_fleet",),
                                 kwargs={"sensors": 4, "hz": 10, "url": server.ws_url, "owner": user.username,
                                         "seconds": 8})
        fleet.start()
        fleet.join(60)
    command.refresh_from_db()
    assert command.status == CommandStatus.ACKED and command.reply == {"hz": 4.0}
    assert ImuReading.objects.filter(sensor_id="sim-imu-001").count() > 10
    meter = Sensor.objects.get(pk="sim-meter-004")
    assert meter.device_type == "energy_meter" and meter.last_seen is not None
    assert not Command.objects.exclude(status=CommandStatus.ACKED).exists()
