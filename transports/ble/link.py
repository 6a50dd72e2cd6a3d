"""The BLE gateway's vocabulary: settings, link errors, the device lease, the backoff, and the
small records the listener passes between its tasks (listener.py is the listener itself)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from bleak.exc import BleakError

from .pipeline import SensorStream, Session, Target

logger = logging.getLogger(__name__)

Registry = Callable[[], "Iterable[Target] | Awaitable[Iterable[Target]]"]
# Hands a batch of SPEC readings over; may return how many of them were rejected.
Ingest = Callable[[list[dict]], Awaitable["int | None"]]



class DeviceBusy(Exception):
    """Another gateway or collect job holds the device's lease."""


class DeviceNotFound(Exception):
    """The device did not advertise within the scan timeout."""


# Failures a BLE link can produce; any of them ends the session and leads to a backoff.
LINK_ERRORS = (BleakError, TimeoutError, OSError, EOFError, AttributeError, DeviceBusy)


class DeviceLease(Protocol):
    """A lock on a device address shared by every process that may connect to it, so a gateway
    and a collect job never hold the same device twice. Expires unless renewed."""

    renew_interval: float

    async def acquire(self, address: str) -> bool: ...

    async def renew(self, address: str) -> None: ...

    async def release(self, address: str) -> None: ...


@dataclass(frozen=True)
class ListenerSettings:
    scan_timeout: float = 10.0  # BLUETOOTH_SCAN_TIMEOUT: wait this long for a sensor's advert
    reconnect_attempts: int = 3  # BLUETOOTH_RECONNECT_ATTEMPTS: establish_connection max_attempts
    max_connections: int = 5  # BLUETOOTH_MAX_CONNECTIONS: simultaneous links on the adapter
    stall_timeout: float = 30.0  # a connected sensor silent this long is dropped and reconnected
    batch_size: int = 200  # hand readings to ingest in batches of N ...
    batch_interval: float = 0.25  # ... or after T seconds, whichever comes first
    queue_size: int = 10_000  # raw packets buffered between radio and writer
    scanner_watchdog: float = 60.0  # restart the scanner after this long without any advert
    backoff_base: float = 2.0
    backoff_cap: float = 120.0
    backoff_reset_after: float = 60.0  # a session this long resets the backoff
    registry_interval: float = 30.0
    battery_interval: float = 600.0
    poll_interval: float = 5.0  # read-only characteristics (some energy meters) are polled
    operation_timeout: float = 10.0  # GATT operations, unsubscribe and disconnect
    log_interval: float = 60.0


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": uniform in [ceiling/2, ceiling], ceiling capped."""
    ceiling = min(cap, base * 2 ** min(attempt, 32))
    return rng.uniform(ceiling / 2, ceiling)


class ProfileMismatch(BleakError):
    """The connected device exposes none of its profile's characteristics."""


@dataclass(frozen=True)
class _Packet:
    session: Session
    address: str
    characteristic: str
    host_time: float
    data: bytes


@dataclass(frozen=True)
class _Connected:
    session: Session
    host_time: float


_END = object()


async def _wait_first(*events: asyncio.Event, timeout: float | None) -> None:
    """Return when any event is set or the timeout passes."""
    if any(event.is_set() for event in events):
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class _Supervisor:
    def __init__(self, target: Target, stream: SensorStream) -> None:
        self.target = target
        self.stream = stream
        self.stop = asyncio.Event()
        self.advertised = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.waiting_for_advert = False
        self.serving = asyncio.Event()  # connected, subscribed and streaming
        self.last_packet = 0.0
        self.last_backoff: float | None = None


@contextlib.asynccontextmanager
async def lease_held(lease: DeviceLease | None, address: str, *,
                     quietly: Callable[[Awaitable, str], Awaitable[None]]) -> AsyncIterator[None]:
    """Hold the device's lease (if the gateway has a lease store) while the block runs."""
    if lease is None:
        yield
        return
    if not await lease.acquire(address):
        raise DeviceBusy(f"{address} is held by another gateway or collect job")
    renewer = asyncio.create_task(_lease_renew_forever(lease, address), name=f"ble-lease-{address}")
    try:
        yield
    finally:
        renewer.cancel()
        await asyncio.gather(renewer, return_exceptions=True)
        await quietly(lease.release(address), "release the lease")


async def _lease_renew_forever(lease: DeviceLease, address: str) -> None:
    while True:
        await asyncio.sleep(lease.renew_interval)
        try:
            await lease.renew(address)
        except Exception:  # the lease store being down must not drop a working link
            logger.warning("could not renew the lease on %s", address, exc_info=True)
