"""The device WebSocket client against a real server: telemetry with seq and acks,
resend after a reconnect (the server restarted in between), commands to the callback."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from sensorium_client import CommandFailed, DeviceClient, DeviceRefused
from sensorium_client.testing import eventually_async


def readings(sensor_id, start, count):
    return [{"sensor_id": sensor_id, "timestamp": (start + timedelta(milliseconds=10 * i)).isoformat(),
             "acceleration": {"x": 0, "y": 0, "z": 9.81}, "gyroscope": {"x": 0, "y": 0, "z": 0}}
            for i in range(count)]


async def stored(api, sensor_id, start, expected):
    """Readings stored, once `expected` are (with a broker, the worker writes shortly after the ack)."""
    async def count():
        page = await api.readings.query(sensor_id, start=start - timedelta(seconds=1), limit=10_000, bucket="raw")
        return page.count if page.count >= expected else None
    return await eventually_async(count, what=f"{expected} readings stored")


async def test_frames_are_acked_and_resent_after_a_reconnect(server, api, unique):
    sensor_id = unique("imu")
    token = (await api.sensors.create(id=sensor_id, name="streaming")).token
    device = DeviceClient(url=server.ws_url, sensor_id=sensor_id, token=token, reconnect_max_s=1)
    stop = asyncio.Event()
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    first = await device.send(readings(sensor_id, start, 5))  # before connecting: kept, sent on connect
    runner = asyncio.create_task(device.run(stop))
    for frame in range(1, 10):
        await device.send(readings(sensor_id, start + timedelta(seconds=frame), 5))
    await device.flush(timeout=30)
    assert (first, device.seq, device.acked) == (1, 10, 10)
    assert await stored(api, sensor_id, start, 50) == 50

    await asyncio.to_thread(server.stop)
    for frame in range(10, 20):  # the server is down: these wait, unacked
        await device.send(readings(sensor_id, start + timedelta(seconds=frame), 5))
    assert len(device.unacked) == 10
    await asyncio.to_thread(server.start)
    await device.flush(timeout=60)
    assert device.connections >= 2 and device.acked == 20
    assert await stored(api, sensor_id, start, 100) == 100
    stop.set()
    await runner


async def test_commands_reach_the_callback_and_their_results_the_server(server, api, unique):
    sensor_id = unique("imu")
    token = (await api.sensors.create(id=sensor_id, name="commanded")).token
    seen = []

    async def on_command(command):
        seen.append(command)
        if command.name == "explode":
            raise CommandFailed("will not", {"error": "refused"})
        return {"hz": command.params["hz"]}

    device = DeviceClient(url=server.ws_url, sensor_id=sensor_id, token=token, on_command=on_command)
    stop = asyncio.Event()
    runner = asyncio.create_task(device.run(stop))
    await asyncio.wait_for(device.connected.wait(), 30)
    ok = await api.sensors.command(sensor_id, "set_rate", {"hz": 5})
    refused = await api.sensors.command(sensor_id, "explode")
    for _ in range(300):
        commands = {command.id: command for command in await api.sensors.commands(sensor_id)}
        if commands[ok.id].status == "acked" and commands[refused.id].status == "failed":
            break
        await asyncio.sleep(0.1)
    assert commands[ok.id].status == "acked" and commands[ok.id].reply == {"hz": 5}
    assert commands[refused.id].status == "failed" and commands[refused.id].reply == {"error": "refused"}
    assert [command.name for command in seen] == ["set_rate", "explode"]
    stop.set()
    await runner


async def test_a_rotated_token_refuses_the_device_for_good(server, api, unique):
    sensor_id = unique("imu")
    token = (await api.sensors.create(id=sensor_id, name="rotated")).token
    device = DeviceClient(url=server.ws_url, sensor_id=sensor_id, token=token)
    runner = asyncio.create_task(device.run(asyncio.Event()))
    await asyncio.wait_for(device.connected.wait(), 30)
    await api.sensors.rotate_token(sensor_id)
    with pytest.raises(DeviceRefused) as refused:
        await asyncio.wait_for(runner, 30)
    assert refused.value.code == 4401
