"""The gateway on the fake radio: the real BleakScanner, BleakClient and establish_connection run."""

from __future__ import annotations

import random
import struct

import pytest

from transports.ble.decoders import movesense_imu6, sensorium_diy
from transports.ble.fake import FakeDevice
from transports.ble.listener import backoff_delay
from transports.ble.pipeline import Target

from .conftest import listening, make_listener, sensor_targets, wait_until

pytestmark = pytest.mark.asyncio

ADDRESS_A = "02:5E:00:00:00:0A"
ADDRESS_B = "02:5E:00:00:00:0B"


def target(address: str, profile: str, sensor_id: str | None = None) -> Target:
    return Target(sensor_id=sensor_id or f"imu-{address[-2:].lower()}", address=address, profile=profile)


async def test_readings_from_every_profile_reach_ingest(radio, collected):
    profiles = ["thingy52", "witmotion_bwt901", "movesense_imu6", "sensorium_diy", "sig_energy"]
    for index, profile in enumerate(profiles):
        radio.add(FakeDevice(address=f"02:5E:00:00:01:{index:02X}", profile=profile, seed=index, rate_hz=40))
    listener = make_listener(radio, collected)
    async with listening(listener):
        await wait_until(lambda: all(collected.of(t.sensor_id) for t in sensor_targets(radio)), what="readings from all sensors")
        await wait_until(lambda: any("energy_total_kwh" in r.get("metrics", {}) for r in collected.readings), what="a polled energy reading")
    by_profile = {t.profile: collected.of(t.sensor_id) for t in sensor_targets(radio)}
    for profile in ("thingy52", "witmotion_bwt901", "movesense_imu6", "sensorium_diy"):
        motion = [r for r in by_profile[profile] if "acceleration" in r]
        assert motion, profile
        assert 9.0 < motion[-1]["acceleration"]["z"] < 10.6, profile
        assert motion[-1]["battery_level"] == 87 and motion[-1]["signal_strength"] < 0
    energy_metrics = {name for r in by_profile["sig_energy"] for name in r["metrics"]}
    assert {"voltage", "current", "power", "energy_total_kwh", "battery_level"} <= energy_metrics
    assert listener.counters.undecodable == 0


async def test_battery_is_read_on_connect_and_again_periodically(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy", battery=90))
    listener = make_listener(radio, collected, battery_interval=0.2)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="first readings")
        assert collected.of("imu-0a")[0]["battery_level"] == 90
        device.battery = 41
        await wait_until(lambda: collected.of("imu-0a")[-1]["battery_level"] == 41, what="the battery re-read")
    assert device.connects == 1  # re-read on the open connection, not by reconnecting


async def test_transient_connect_errors_are_retried_by_establish_connection(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy", connect_failures=2))
    listener = make_listener(radio, collected, reconnect_attempts=3)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="readings after two failed attempts")
    assert device.connects == 1
    assert listener.counters.reconnects == 0  # retried inside one establish_connection call


async def test_connect_failures_beyond_the_attempts_back_off_and_try_again(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy", connect_failures=4))
    listener = make_listener(radio, collected, reconnect_attempts=3)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="readings after a failed establish_connection")
        assert 0.025 <= listener.backoff_of("imu-0a") <= 0.05
    assert device.connects == 1
    assert listener.counters.reconnects == 1


async def test_disconnect_leads_to_a_reconnect_after_a_backoff(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    listener = make_listener(radio, collected)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="first readings")
        assert listener.backoff_of("imu-0a") is None
        device.disconnect()
        await wait_until(lambda: device.connects == 2, what="the reconnect")
        before = len(collected.of("imu-0a"))
        await wait_until(lambda: len(collected.of("imu-0a")) > before, what="readings after the reconnect")
        assert 0.025 <= listener.backoff_of("imu-0a") <= 0.05
    assert listener.counters.reconnects == 1


async def test_a_stalled_connection_is_dropped_and_reconnected(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy"))
    listener = make_listener(radio, collected, stall_timeout=0.3)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="first readings")
        device.go_silent()
        await wait_until(lambda: listener.counters.stalls == 1, what="the stall to be noticed")
        device.resume()
        await wait_until(lambda: device.connects == 2, what="the reconnect")


async def test_a_silent_scanner_is_restarted_by_the_watchdog(radio, collected):
    listener = make_listener(radio, collected, registry=lambda: [target(ADDRESS_A, "sensorium_diy")], scanner_watchdog=0.2)
    async with listening(listener):
        await wait_until(lambda: radio.scanner_starts == 1, what="the scanner")
        radio.jam_scanners()
        device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy"))
        await wait_until(lambda: listener.counters.scanner_restarts >= 1, what="the watchdog")
        await wait_until(lambda: collected.of("imu-0a"), what="readings through the restarted scanner")
    assert radio.scanner_starts >= 2
    assert device.connects == 1


async def test_a_burst_larger_than_the_queue_drops_the_oldest(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="sensorium_diy"))
    listener = make_listener(radio, collected, queue_size=20, batch_size=1000)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="first readings")
        device.go_silent()
        # 100 notifications in one go, before the writer can run: acceleration x carries the index.
        for index in range(100):
            device.emit(sensorium_diy.MOTION, struct.pack("<HI6f", index, 1000 * index, float(index), 0, 9.81, 0, 0, 0))
        await wait_until(lambda: any(r["acceleration"]["x"] == 99.0 for r in collected.of("imu-0a")), what="the burst")
    burst = [r["acceleration"]["x"] for r in collected.of("imu-0a") if r["acceleration"]["x"] >= 1.0]
    assert burst == [float(index) for index in range(80, 100)]
    assert listener.counters.dropped == 80


async def test_registry_changes_are_picked_up_without_a_restart(radio, collected):
    device_a = radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    radio.add(FakeDevice(address=ADDRESS_B, profile="witmotion_bwt901"))
    registered = [target(ADDRESS_A, "thingy52")]
    listener = make_listener(radio, collected, registry=lambda: list(registered))
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="readings from A")
        assert not collected.of("imu-0b")
        registered.append(target(ADDRESS_B, "witmotion_bwt901"))
        await wait_until(lambda: collected.of("imu-0b"), what="readings from the added sensor B")
        registered.pop(0)
        await wait_until(lambda: not device_a.connected, what="A to be disconnected after deactivation")
        count_b = len(collected.of("imu-0b"))
        await wait_until(lambda: len(collected.of("imu-0b")) > count_b + 5, what="A's last packets to be flushed")
        count_a, count_b = len(collected.of("imu-0a")), len(collected.of("imu-0b"))
        await wait_until(lambda: len(collected.of("imu-0b")) > count_b + 5, what="more readings from B")
    assert len(collected.of("imu-0a")) == count_a
    assert [t.sensor_id for t in listener.targets] == []  # all retired on shutdown


async def test_unknown_profiles_are_skipped_and_the_rest_still_listened_to(radio, collected, caplog):
    radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    registry = [target(ADDRESS_A, "thingy52"), target(ADDRESS_B, "polar_h10")]
    listener = make_listener(radio, collected, registry=lambda: registry)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="readings from the known profile")
    assert "sensor imu-0b skipped: unknown BLE profile 'polar_h10'" in caplog.text


async def test_an_async_registry_that_fails_keeps_the_current_sensors(radio, collected):
    radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    calls = []

    async def registry():
        calls.append(1)
        if len(calls) > 1:
            raise ConnectionError("database is down")
        return [target(ADDRESS_A, "thingy52")]

    listener = make_listener(radio, collected, registry=registry)
    async with listening(listener):
        await wait_until(lambda: len(calls) >= 3, what="a few failed registry reads")
        before = len(collected.of("imu-0a"))
        await wait_until(lambda: len(collected.of("imu-0a")) > before, what="readings despite the registry outage")


async def test_shutdown_unsubscribes_disconnects_and_flushes_everything(radio, collected):
    movesense = radio.add(FakeDevice(address=ADDRESS_A, profile="movesense_imu6"))
    diy = radio.add(FakeDevice(address=ADDRESS_B, profile="sensorium_diy"))
    listener = make_listener(radio, collected, batch_size=100_000, batch_interval=60.0)
    async with listening(listener):
        await wait_until(lambda: listener.counters.decoded >= 20, what="readings to pile up unflushed")
        assert collected.readings == []
    assert len(collected.readings) == listener.counters.decoded
    assert not movesense.connected and not diy.connected
    assert (movesense_imu6.COMMAND, b"\x02\x63") in movesense.writes
    assert listener.counters.connected == 0


async def test_max_connections_limits_simultaneous_links(radio, collected):
    first = radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    second = radio.add(FakeDevice(address=ADDRESS_B, profile="thingy52"))
    listener = make_listener(radio, collected, max_connections=1)
    async with listening(listener):
        await wait_until(lambda: first.connected or second.connected, what="one connection")
        await wait_until(lambda: listener.counters.decoded > 20, what="some readings")
        assert [first.connected, second.connected].count(True) == 1
        assert listener.counters.connected == 1


async def test_random_bytes_from_a_device_are_counted_and_the_gateway_keeps_going(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS_A, profile="witmotion_bwt901"))
    listener = make_listener(radio, collected)
    rng = random.Random(5)
    async with listening(listener):
        await wait_until(lambda: collected.of("imu-0a"), what="first readings")
        for _ in range(200):
            device.emit("0000ffe4-0000-1000-8000-00805f9a34fb", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
        await wait_until(lambda: listener.counters.undecodable > 0, what="undecodable packets to be counted")
        before = len(collected.of("imu-0a"))
        await wait_until(lambda: len(collected.of("imu-0a")) > before + 5, what="good readings after the noise")
    assert device.connects == 1


async def test_a_failing_ingest_is_counted_and_does_not_stop_the_gateway(radio):
    radio.add(FakeDevice(address=ADDRESS_A, profile="thingy52"))
    accepted = []

    async def flaky_ingest(readings):
        if not accepted:
            accepted.append([])
            raise RuntimeError("broker unavailable")
        accepted.append(readings)

    listener = make_listener(radio, flaky_ingest)
    async with listening(listener):
        await wait_until(lambda: len(accepted) > 2, what="batches after a failed one")
    assert listener.counters.ingest_failures == 1

