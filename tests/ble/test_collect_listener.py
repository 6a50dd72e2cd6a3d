"""`BleListener.collect` (one sensor, one connection, a time window) and the per-device lease."""

from __future__ import annotations

import pytest

from transports.ble.fake import FakeDevice
from transports.ble.listener import DeviceBusy, DeviceNotFound
from transports.ble.pipeline import Target

from .conftest import listening, make_listener, wait_until

pytestmark = pytest.mark.asyncio

ADDRESS = "02:5E:00:00:00:0C"
TARGET = Target(sensor_id="imu-0c", address=ADDRESS, profile="sensorium_diy")


class MemoryLease:
    """The lease contract kept in a dict, as the cache keeps it across processes."""

    renew_interval = 0.05

    def __init__(self, holders: dict[str, str], holder: str) -> None:
        self.holders, self.holder, self.renewals = holders, holder, 0

    async def acquire(self, address: str) -> bool:
        return self.holders.setdefault(address, self.holder) == self.holder

    async def renew(self, address: str) -> None:
        self.renewals += 1

    async def release(self, address: str) -> None:
        if self.holders.get(address) == self.holder:
            del self.holders[address]


async def test_collect_reads_for_the_window_then_disconnects_and_flushes(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS, profile="sensorium_diy", rate_hz=50))
    holders: dict[str, str] = {}
    lease = MemoryLease(holders, "job-1")
    listener = make_listener(radio, collected, registry=list, lease=lease, batch_size=100_000, batch_interval=60.0)
    await listener.collect(TARGET, seconds=1)
    readings = collected.of("imu-0c")
    assert 20 <= len(readings) <= 80  # about a second at 50 Hz, all flushed at the end
    assert len(readings) == listener.counters.decoded
    assert not device.connected and device.connects == 1
    assert holders == {} and lease.renewals >= 1  # held while connected, released after


async def test_a_snapshot_stops_after_the_first_readings(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS, profile="sensorium_diy", rate_hz=5))
    listener = make_listener(radio, collected, registry=list)
    await listener.collect(TARGET, seconds=0)
    assert 1 <= len(collected.of("imu-0c")) <= 2
    assert not device.connected


async def test_a_device_that_does_not_advertise_is_not_found(radio, collected):
    radio.add(FakeDevice(address="02:5E:00:00:00:99", profile="sensorium_diy"))
    listener = make_listener(radio, collected, registry=list, scan_timeout=0.3)
    with pytest.raises(DeviceNotFound, match=r"Sensor imu-0c \(02:5E:00:00:00:0C\) was not seen advertising within 0.3 s"):
        await listener.collect(TARGET, seconds=5)
    assert collected.readings == []


async def test_collect_refuses_a_device_another_holder_leases(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS, profile="sensorium_diy"))
    holders = {ADDRESS: "gateway:hall"}
    listener = make_listener(radio, collected, registry=list, lease=MemoryLease(holders, "job-2"))
    with pytest.raises(DeviceBusy, match="held by another gateway or collect job"):
        await listener.collect(TARGET, seconds=1)
    assert device.connects == 0 and holders == {ADDRESS: "gateway:hall"}


async def test_the_gateway_waits_while_a_collect_job_holds_the_device(radio, collected):
    device = radio.add(FakeDevice(address=ADDRESS, profile="sensorium_diy"))
    holders = {ADDRESS: "collect-job:1"}
    listener = make_listener(radio, collected, registry=lambda: [TARGET], lease=MemoryLease(holders, "gateway:hall"))
    async with listening(listener):
        await wait_until(lambda: listener.backoff_of("imu-0c") is not None, what="a refused attempt")
        assert device.connects == 0
        del holders[ADDRESS]  # the job finished
        await wait_until(lambda: collected.of("imu-0c"), what="readings once the lease is free")
        assert holders == {ADDRESS: "gateway:hall"}
    assert holders == {}
