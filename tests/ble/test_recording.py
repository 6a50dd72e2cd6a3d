"""Record raw packets while listening, replay them, get the same readings."""

from __future__ import annotations

import json

import pytest

from transports.ble.fake import FakeDevice
from transports.ble.pipeline import Target
from transports.ble.recording import Recorder, RecordingError, replay

from .conftest import Collected, listening, make_listener, sensor_targets, wait_until

pytestmark = pytest.mark.asyncio


async def test_replaying_a_recording_gives_the_same_readings(radio, collected, tmp_path):
    for index, profile in enumerate(["witmotion_bwt901", "movesense_imu6", "sensorium_diy", "sig_energy", "thingy52"]):
        radio.add(FakeDevice(address=f"02:5E:00:00:02:{index:02X}", profile=profile, seed=index, split_frames=True, samples_per_packet=8))
    path = tmp_path / "session.jsonl"
    recorder = Recorder(path)
    listener = make_listener(radio, collected, recorder=recorder)
    async with listening(listener):
        await wait_until(lambda: len({r["sensor_id"] for r in collected.readings}) == 5, what="readings from every device")
        radio.devices[1].disconnect()  # a second connection in the recording: fresh decoder state
        await wait_until(lambda: radio.devices[1].connects == 2, what="the reconnect")
        await wait_until(lambda: listener.counters.decoded > 150, what="more readings")
    recorder.close()

    replayed = Collected()
    counters = await replay(path, ingest=replayed, targets=sensor_targets(radio), batch_size=37)
    assert replayed.readings == collected.readings
    assert counters.decoded == listener.counters.decoded
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sum(1 for line in lines if line.get("event") == "connect") == 6
    assert {"address", "characteristic", "host_time", "hex"} <= set(lines[-1])


async def test_replay_without_a_registry_uses_the_connect_lines(tmp_path):
    path = tmp_path / "r.jsonl"
    recorder = Recorder(path)
    target = Target("meter-7", "AA:BB:CC:DD:EE:01", "sig_energy")
    recorder.connect(target=target, host_time=1_795_341_600.0, rssi=-70)
    recorder.packet(address=target.address, characteristic="00002b18-0000-1000-8000-00805f9b34fb", host_time=1_795_341_600.5, data=(230 * 64).to_bytes(2, "little"))
    recorder.close()
    collected = Collected()
    await replay(path, ingest=collected)
    assert collected.readings == [{"sensor_id": "meter-7", "timestamp": "2026-11-22T10:00:00.500Z", "metrics": {"voltage": 230.0},
                                   "signal_strength": -70}]


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json\n", r"r.jsonl:1: not JSON"),
        ('{"address": "AA", "characteristic": "x", "host_time": 1, "hex": "00"}\n', "before its connect line"),
        ('{"event": "connect", "address": "AA", "host_time": 1}\n', "without sensor_id/profile"),
        ('{"event": "connect", "address": "AA", "host_time": 1, "sensor_id": "s", "profile": "nope"}\n', "unknown BLE profile"),
        ('{"event": "connect", "address": "AA", "host_time": 1, "sensor_id": "s", "profile": "thingy52"}\n{"address": "AA", "host_time": 2, "hex": "zz"}\n', r"r.jsonl:2: a packet needs"),
    ],
)
async def test_a_broken_recording_names_the_line(tmp_path, content, message):
    path = tmp_path / "r.jsonl"
    path.write_text(content)
    with pytest.raises(RecordingError, match=message):
        await replay(path, ingest=Collected())
