"""Fixtures for the BLE gateway tests: a fake radio, fast settings and a running listener."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio

from transports.ble.fake import FakeRadio
from transports.ble.listener import BleListener, DeviceLease, ListenerSettings
from transports.ble.pipeline import Target
from transports.ble.recording import Recorder

FAST = ListenerSettings(
    scan_timeout=0.5,
    reconnect_attempts=3,
    max_connections=5,
    stall_timeout=0.4,
    batch_size=50,
    batch_interval=0.05,
    queue_size=1000,
    scanner_watchdog=0.3,
    backoff_base=0.05,
    backoff_cap=0.2,
    backoff_reset_after=30.0,
    registry_interval=0.1,
    battery_interval=30.0,
    poll_interval=0.1,
    operation_timeout=1.0,
    log_interval=30.0,
)


class Collected:
    """An ingest function that keeps every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[list[dict]] = []

    async def __call__(self, readings: list[dict]) -> None:
        self.batches.append(list(readings))

    @property
    def readings(self) -> list[dict]:
        return [reading for batch in self.batches for reading in batch]

    def of(self, sensor_id: str) -> list[dict]:
        return [reading for reading in self.readings if reading["sensor_id"] == sensor_id]


async def wait_until(condition: Callable[[], bool], *, within: float = 5.0, what: str = "condition") -> None:
    """Poll `condition`; fail the test if it does not hold within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def radio() -> AsyncIterator[FakeRadio]:
    fake = FakeRadio(advert_interval=0.02)
    yield fake
    await fake.aclose()


@pytest.fixture
def collected() -> Collected:
    return Collected()


@contextlib.asynccontextmanager
async def listening(listener: BleListener) -> AsyncIterator[BleListener]:
    """Run the listener in the background; stop it cleanly (and surface its errors) on exit."""
    task = asyncio.create_task(listener.run())
    try:
        yield listener
    finally:
        listener.request_stop()
        await asyncio.wait_for(task, 10)


def sensor_targets(radio: FakeRadio) -> list[Target]:
    """Every device on the radio registered as sensor "imu-<last address byte>"."""
    return radio.targets(sensor_id=lambda device: f"imu-{device.address[-2:].lower()}")


def make_listener(radio: FakeRadio, ingest: Collected, registry=None, recorder: Recorder | None = None,
                  lease: DeviceLease | None = None, **overrides) -> BleListener:
    settings = dataclasses.replace(FAST, **overrides)
    return BleListener(
        registry=registry or (lambda: sensor_targets(radio)),
        ingest=ingest,
        settings=settings,
        scanner_backend=radio.scanner_backend,
        client_backend=radio.client_backend,
        recorder=recorder,
        lease=lease,
    )
