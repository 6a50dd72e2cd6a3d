"""A simulated radio: bleak backends (scanner and client) with devices that speak the real formats.

The classes here subclass bleak's own backend bases and are passed through bleak's `backend=`
argument, so `BleakScanner`, `BleakClient` and bleak-retry-connector run their real code paths.
Devices advertise, accept connections (optionally failing the first k attempts), notify at a
rate with realistic motion in their profile's byte format, and can be told to disconnect, go
silent or burst. The tests and `ble_listen --fake N` use the same radio.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from .decoders import FAKE_ENCODERS, PROFILES, STANDARD_GRAVITY
from .decoders.battery import BATTERY_LEVEL, BATTERY_SERVICE
from .pipeline import Target

class _Motion:
    """A sensor held in a hand: gravity on z, a slow sway, a little noise."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._phase = rng.uniform(0, 2 * math.pi)

    def at(self, seconds: float) -> tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]:
        rng, p = self.rng, self._phase
        sway = 2 * math.pi * 0.5 * seconds + p
        acceleration = (
            0.4 * math.sin(sway) + rng.gauss(0, 0.02),
            0.3 * math.cos(sway) + rng.gauss(0, 0.02),
            STANDARD_GRAVITY + 0.1 * math.sin(2 * sway) + rng.gauss(0, 0.02),
        )
        gyroscope = (
            12 * math.cos(sway) + rng.gauss(0, 0.3),
            -9 * math.sin(sway) + rng.gauss(0, 0.3),
            2 * math.sin(sway / 3) + rng.gauss(0, 0.3),
        )
        roll, pitch, yaw = (
            math.degrees(math.atan2(acceleration[1], acceleration[2])),
            math.degrees(math.atan2(-acceleration[0], acceleration[2])),
            (seconds * 3) % 360 - 180,
        )
        return acceleration, gyroscope, (roll, pitch, yaw)


class FakeDevice:
    """One simulated peripheral of a given profile."""

    def __init__(
        self,
        *,
        address: str,
        profile: str,
        name: str | None = None,
        rate_hz: float | None = None,
        rssi: int = -62,
        battery: int = 87,
        connect_failures: int = 0,
        samples_per_packet: int = 4,
        records_per_notification: int = 1,
        split_frames: bool = False,
        seed: int | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        self.address = address.upper()
        self.profile = profile
        self.name = name or f"{profile}-{self.address[-5:].replace(':', '')}"
        self.rssi = rssi
        self.battery = battery
        self.connect_failures = connect_failures
        self.samples_per_packet = samples_per_packet
        self.records_per_notification = records_per_notification
        self.split_frames = split_frames
        self.advertising = True
        self.silent = False
        self.connects = 0
        self.writes: list[tuple[str, bytes]] = []
        self.rng = random.Random(seed)
        self._motion = _Motion(self.rng)
        self._client: FakeClientBackend | None = None
        self._subscriptions: dict[str, NotifyCallback] = {}
        self._emitter: asyncio.Task[None] | None = None
        self._device_us = self.rng.randrange(0, 2**32)
        self.sequence_start = self.rng.randrange(0, 2**16)
        self.energy_start_wh = self.rng.uniform(1000, 5000)
        self._encoder = FAKE_ENCODERS[profile](self)
        self.rate_hz = rate_hz or self._encoder.rate_hz()
        self.streaming = self._encoder.streams_on_connect

    # ------------------------------------------------------------ controls for tests and demos

    @property
    def connected(self) -> bool:
        return self._client is not None

    def disconnect(self) -> None:
        """The peripheral drops the link (out of range, reset, ...)."""
        client = self._client
        if client is not None:
            self._drop()
            client._lost()

    def go_silent(self) -> None:
        """Stay connected but stop notifying (a stalled link)."""
        self.silent = True

    def resume(self) -> None:
        self.silent = False

    def burst(self, count: int) -> None:
        """Deliver `count` notifications at once, as an OS does after a scheduling hiccup."""
        for _ in range(count):
            self._emit_once()

    def emit(self, characteristic: str, data: bytes) -> None:
        """Deliver arbitrary bytes on a subscribed characteristic (for malformed-input tests)."""
        callback = self._subscriptions.get(characteristic)
        if callback is not None:
            callback(bytearray(data))

    # ------------------------------------------------------------ GATT side, used by the client backend

    def _services(self) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        handles = itertools.count(1)
        layout = [*self._encoder.gatt, (BATTERY_SERVICE, [(BATTERY_LEVEL, ["read", "notify"])])]
        for service_uuid, characteristics in layout:
            service = BleakGATTService(None, next(handles), service_uuid)
            collection.add_service(service)
            for uuid, properties in characteristics:
                collection.add_characteristic(
                    BleakGATTCharacteristic(None, next(handles), uuid, properties, lambda: 244, service)  # type: ignore[arg-type]
                )
        return collection

    async def _accept(self, client: FakeClientBackend) -> None:
        await asyncio.sleep(0)
        if self.connect_failures > 0:
            self.connect_failures -= 1
            raise BleakError(f"fake radio: connection to {self.address} failed (simulated)")
        if self._client is not None:
            raise BleakError(f"fake radio: {self.address} is already connected")
        self._client = client
        self.connects += 1
        self.streaming = self._encoder.streams_on_connect

    def _drop(self) -> None:
        self._client = None
        self._subscriptions.clear()
        self._encoder.reset()
        if self._emitter is not None:
            self._emitter.cancel()
            self._emitter = None

    def _read(self, uuid: str) -> bytes:
        if uuid == BATTERY_LEVEL:
            return bytes([self.battery])
        payload = self._encoder.read(uuid)
        if payload is not None:
            return payload
        raise BleakError(f"fake radio: characteristic {uuid} is not readable")

    def _write(self, uuid: str, data: bytes) -> None:
        self.writes.append((uuid, data))
        for characteristic, reply in self._encoder.write(uuid, data):
            self._notify(characteristic, reply)

    def _subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        self._subscriptions[uuid] = callback
        if self._emitter is None:
            self._emitter = asyncio.get_running_loop().create_task(self._emit_forever())

    def _unsubscribe(self, uuid: str) -> None:
        self._subscriptions.pop(uuid, None)

    # ------------------------------------------------------------ payloads in the real formats

    async def _emit_forever(self) -> None:
        while True:
            await asyncio.sleep(1 / self.rate_hz)
            if not self.silent:
                self._emit_once()

    def _notify(self, uuid: str, data: bytes) -> None:
        callback = self._subscriptions.get(uuid)
        if callback is not None:
            callback(bytearray(data))

    def _emit_once(self) -> None:
        if not self.streaming:
            return
        for uuid, payload in self._encoder.payloads():
            self._notify(uuid, payload)

    def advance(self, samples: int, rate_hz: float) -> list[tuple[int, Any]]:
        moments = []
        for _ in range(samples):
            self._device_us = (self._device_us + round(1_000_000 / rate_hz)) % 2**32
            moments.append((self._device_us, self._motion.at(self._device_us / 1e6)))
        return moments

    def advertisement(self) -> AdvertisementData:
        services = [service for service, _ in self._encoder.gatt]
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data={},
            service_uuids=services,
            tx_power=None,
            rssi=self.rssi + round(self.rng.gauss(0, 2)),
            platform_data=(),
        )


class FakeRadio:
    """The simulated air: devices, the scanners listening and the adverts between them."""

    def __init__(self, *, advert_interval: float = 0.05) -> None:
        self.advert_interval = advert_interval
        self.adapter_error: BaseException | None = None
        self.scanner_starts = 0
        self._devices: dict[str, FakeDevice] = {}
        self._scanners: set[FakeScannerBackend] = set()
        self._advertiser: asyncio.Task[None] | None = None
        self._scanner_class: type[FakeScannerBackend] | None = None
        self._client_class: type[FakeClientBackend] | None = None

    @classmethod
    def fleet(cls, count: int, *, profiles: tuple[str, ...] = PROFILES, seed: int = 0, **device_options: Any) -> FakeRadio:
        """A radio with `count` devices cycling through `profiles`, addresses 02:5E:00:00:xx:xx."""
        radio = cls()
        for index, profile in zip(range(count), itertools.cycle(profiles)):
            address = f"02:5E:00:00:{index // 256:02X}:{index % 256:02X}"
            radio.add(FakeDevice(address=address, profile=profile, seed=seed + index, **device_options))
        return radio

    def add(self, device: FakeDevice) -> FakeDevice:
        self._devices[device.address] = device
        return device

    def remove(self, address: str) -> None:
        device = self._devices.pop(address.upper(), None)
        if device is not None:
            device.disconnect()

    def device(self, address: str) -> FakeDevice | None:
        return self._devices.get(address.upper())

    @property
    def devices(self) -> list[FakeDevice]:
        return list(self._devices.values())

    def targets(self, *, sensor_id: Callable[[FakeDevice], str] | None = None) -> list[Target]:
        name = sensor_id or (lambda device: f"ble-{device.address[-5:].replace(':', '').lower()}")
        return [Target(sensor_id=name(device), address=device.address, profile=device.profile) for device in self.devices]

    def jam_scanners(self) -> None:
        """Running scanners stop hearing adverts (a wedged adapter) until they are restarted."""
        for scanner in self._scanners:
            scanner.jammed = True

    @property
    def scanner_backend(self) -> type[FakeScannerBackend]:
        if self._scanner_class is None:
            self._scanner_class = type("FakeScanner", (FakeScannerBackend,), {"radio": self})
        return self._scanner_class

    @property
    def client_backend(self) -> type[FakeClientBackend]:
        if self._client_class is None:
            self._client_class = type("FakeClient", (FakeClientBackend,), {"radio": self})
        return self._client_class

    async def aclose(self) -> None:
        for device in self.devices:
            device.disconnect()
        if self._advertiser is not None:
            self._advertiser.cancel()
            await asyncio.gather(self._advertiser, return_exceptions=True)
            self._advertiser = None

    async def __aenter__(self) -> FakeRadio:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _start(self, scanner: FakeScannerBackend) -> None:
        if self.adapter_error is not None:
            raise self.adapter_error
        self.scanner_starts += 1
        scanner.seen_devices = {}
        scanner.jammed = False
        self._scanners.add(scanner)
        if self._advertiser is None or self._advertiser.done():
            self._advertiser = asyncio.get_running_loop().create_task(self._advertise())

    def _stop(self, scanner: FakeScannerBackend) -> None:
        self._scanners.discard(scanner)

    async def _advertise(self) -> None:
        while True:
            for device in list(self._devices.values()):
                if device.advertising and not device.connected:
                    advertisement = device.advertisement()
                    for scanner in list(self._scanners):
                        if not scanner.jammed:
                            found = scanner.create_or_update_device(device.address, device.address, device.name, device, advertisement)
                            scanner.call_detection_callbacks(found, advertisement)
            await asyncio.sleep(self.advert_interval)


class FakeScannerBackend(BaseBleakScanner):
    radio: ClassVar[FakeRadio]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self.jammed = False

    async def start(self) -> None:
        self.radio._start(self)

    async def stop(self) -> None:
        self.radio._stop(self)


class FakeClientBackend(BaseBleakClient):
    radio: ClassVar[FakeRadio]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._connected = False

    @property
    def name(self) -> str:
        device = self.radio.device(self.address)
        return device.name if device else self.address

    @property
    def mtu_size(self) -> int:
        return 247

    def _device(self) -> FakeDevice:
        device = self.radio.device(self.address)
        if device is None:
            raise BleakDeviceNotFoundError(self.address, f"fake radio: no device {self.address}")
        return device

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        device = self._device()
        await device._accept(self)
        self.services = device._services()
        self._connected = True

    async def disconnect(self) -> None:
        device = self.radio.device(self.address)
        if self._connected and device is not None and device._client is self:
            device._drop()
        self._connected = False

    def _lost(self) -> None:
        self._connected = False
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _require_connection(self) -> FakeDevice:
        if not self._connected:
            raise BleakError("Not connected")
        return self._device()

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        return bytearray(self._require_connection()._read(characteristic.uuid))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any) -> bytearray:
        raise BleakError("fake radio: descriptors are not simulated")

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool) -> None:
        self._require_connection()._write(characteristic.uuid, bytes(data))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: SizedBuffer) -> None:
        raise BleakError("fake radio: descriptors are not simulated")

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any) -> None:
        self._require_connection()._subscribe(characteristic.uuid, callback)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._require_connection()._unsubscribe(characteristic.uuid)
