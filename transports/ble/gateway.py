"""The thin Django layer of the BLE gateway: the sensor registry, the ingest call, the settings.

Everything else in transports/ble is framework-free; `ble_listen` wires these adapters in.
"""

from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, connections

from sensors.selectors import ble_sensor_list
from sensors.services import SIMULATED_BLE_MAC_PREFIX
from telemetry.ingest import accept
from telemetry.selectors import metric_newest_value

from .energy import REGISTER, EnergyRegisters
from .fake import FakeDevice, FakeRadio
from .listener import ListenerSettings
from .pipeline import Target

logger = logging.getLogger(__name__)

SOURCE = "ble"


def _connection_refresh() -> None:
    # A long-running command must not reuse a connection the server dropped or that outlived
    # CONN_MAX_AGE, as a request would not; but never close one inside a caller's transaction.
    if not connection.in_atomic_block:
        close_old_connections()


def registry_targets() -> list[Target]:
    """The registered sensors to listen to, read from the database."""
    _connection_refresh()
    return [
        Target(sensor_id=sensor.pk, address=sensor.mac_address, profile=sensor.ble_profile)
        for sensor in ble_sensor_list().only("pk", "mac_address", "ble_profile")
    ]


async def registry() -> list[Target]:
    return await sync_to_async(registry_targets)()


def energy_registers() -> EnergyRegisters:
    """The energy meters' register state of one gateway run (ble_listen, a collect job, a replay),
    seeded from each meter's newest stored register."""
    return EnergyRegisters(seed=lambda sensor_id: metric_newest_value(sensor_id=sensor_id, name=REGISTER))


def readings_hand_over(readings: list[dict], *, registers: EnergyRegisters) -> int:
    """Give a batch to the one ingest function, with energy increments derived from meter
    registers; returns how many readings it rejected."""
    _connection_refresh()
    readings = registers.readings_derive(readings)
    result = accept(payload=readings, source=SOURCE)
    if result.rejected:
        first = result.rejected[0]
        reading = readings[first["index"]]
        logger.warning(
            "ingest rejected %d of %d BLE readings; first: sensor %s %s",
            len(result.rejected), len(readings), reading.get("sensor_id"), first["errors"],
        )
    rejected = {entry["index"] for entry in result.rejected}
    registers.commit(readings, rejected=rejected)
    return len(result.rejected)


async def ingest(readings: list[dict], *, registers: EnergyRegisters) -> int:
    return await sync_to_async(readings_hand_over)(readings, registers=registers)


async def connections_close() -> None:
    """Close the database connections of the thread the adapters above ran in."""
    await sync_to_async(connections.close_all)()


def listener_settings(**overrides) -> ListenerSettings:
    """Gateway settings from Django settings (BLUETOOTH_*), with explicit overrides on top."""
    values = {
        "scan_timeout": settings.BLUETOOTH_SCAN_TIMEOUT,
        "reconnect_attempts": settings.BLUETOOTH_RECONNECT_ATTEMPTS,
        "max_connections": settings.BLUETOOTH_MAX_CONNECTIONS,
    }
    values.update({name: value for name, value in overrides.items() if value is not None})
    return ListenerSettings(**values)


LEASE_TTL = 30.0  # seconds a device lease lives unless its holder renews it


class CacheLease:
    """The per-device lease (see listener.DeviceLease) kept in the Django cache.

    With Redis every gateway and worker shares it; the embedded per-process cache only keeps
    the collect jobs of one process apart.
    """

    renew_interval = LEASE_TTL / 3

    def __init__(self, *, holder: str) -> None:
        self.holder = holder

    @staticmethod
    def _key(address: str) -> str:
        return f"ble:lease:{address.upper()}"

    async def acquire(self, address: str) -> bool:
        key = self._key(address)
        return await cache.aadd(key, self.holder, timeout=LEASE_TTL) or await cache.aget(key) == self.holder

    async def renew(self, address: str) -> None:
        key = self._key(address)
        if await cache.aget(key) == self.holder:
            await cache.atouch(key, timeout=LEASE_TTL)
        elif not await cache.aadd(key, self.holder, timeout=LEASE_TTL):
            logger.warning("the lease on %s was taken over by %s", address, await cache.aget(key))

    async def release(self, address: str) -> None:
        key = self._key(address)
        if await cache.aget(key) == self.holder:
            await cache.adelete(key)

    async def holder_of(self, address: str) -> str | None:
        return await cache.aget(self._key(address))


def simulated_radio(*, targets: list[Target]) -> FakeRadio:
    """The radio of BLUETOOTH_BACKEND=fake: only sensors with a simulated MAC address are on the air."""
    radio = FakeRadio()
    for target in targets:
        if target.address.upper().startswith(SIMULATED_BLE_MAC_PREFIX):
            seed = int(target.address[-5:].replace(":", ""), 16)
            radio.add(FakeDevice(address=target.address, profile=target.profile, seed=seed))
    return radio
