"""The BLE gateway core: scanner with watchdog, one supervisor per sensor, a bounded queue and a writer.

Pure asyncio over bleak + bleak-retry-connector; everything outside (the sensor registry, the
ingest function, the clock, bleak backends) is injected, so the real bleak code runs unchanged
against real adapters and against the fake radio in `fake.py`.

    radio ──notify (sync callback: timestamp, enqueue)──> bounded queue ──writer──> ingest(batch)
                                                       (writer.py)
              ▲                                     (drops the oldest when full)
    supervisor per sensor: wait for advert → connect (lock + slots) → subscribe → serve → back off
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak_retry_connector import establish_connection

from .decoders import UnknownProfile, decoder_class
from .errors import AdapterUnavailable, adapter_unavailable
from .pipeline import Counters, SensorStream, Target
from .link import (
    LINK_ERRORS,
    DeviceBusy,
    DeviceLease,
    DeviceNotFound,
    Ingest,
    ListenerSettings,
    Registry,
    _Supervisor,
    _wait_first,
    backoff_delay,
    lease_held,
)
from .recording import Recorder
from .gatt import GattConversation
from .writer import PacketWriter

logger = logging.getLogger(__name__)

class BleListener:
    def __init__(
        self,
        *,
        registry: Registry,
        ingest: Ingest,
        settings: ListenerSettings | None = None,
        clock: Callable[[], float] = time.time,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        recorder: Recorder | None = None,
        rng: random.Random | None = None,
        lease: DeviceLease | None = None,
    ) -> None:
        self.settings = settings or ListenerSettings()
        self.counters = Counters()
        self._registry = registry
        self._clock = clock
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._rng = rng or random.Random()
        self._lease = lease
        self._stop = asyncio.Event()
        self._supervisors: dict[str, _Supervisor] = {}
        self._by_address: dict[str, _Supervisor] = {}
        self._seen: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
        self._packets = PacketWriter(settings=self.settings, counters=self.counters, ingest=ingest,
                                     recorder=recorder, now=self._now)
        self._scanner: BleakScanner | None = None
        self._last_advert = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connect_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(self.settings.max_connections)

    # ----------------------------------------------------------------- lifecycle

    def request_stop(self) -> None:
        """Ask `run` to shut down cleanly; safe to call from a signal handler on the loop."""
        self._stop.set()

    @property
    def targets(self) -> list[Target]:
        return [supervisor.target for supervisor in self._supervisors.values()]

    def backoff_of(self, sensor_id: str) -> float | None:
        """The last backoff delay chosen for a sensor (None before its first backoff)."""
        supervisor = self._supervisors.get(sensor_id)
        return None if supervisor is None else supervisor.last_backoff

    async def run(self) -> None:
        """Listen until `request_stop`; raises AdapterUnavailable when there is no radio."""
        self._loop = asyncio.get_running_loop()
        await self._start_scanner()
        writer = asyncio.create_task(self._packets.run(), name="ble-writer")
        background = [
            asyncio.create_task(self._watchdog(), name="ble-scanner-watchdog"),
            asyncio.create_task(self._registry_loop(), name="ble-registry"),
            asyncio.create_task(self._log_loop(), name="ble-log"),
        ]
        stop = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait([stop, *background], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stop:
                    task.result()  # a background task only ends by raising (AdapterUnavailable)
        finally:
            stop.cancel()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self._shutdown(writer)

    async def collect(self, target: Target, *, seconds: float) -> None:
        """Connect once to one sensor and collect for `seconds` after it starts streaming (0: until
        its first readings), then disconnect and flush everything to ingest.

        Raises DeviceNotFound, DeviceBusy, AdapterUnavailable, UnknownProfile, or the link error
        that ended the connection; readings collected before a failure are still handed over.
        """
        self._loop = asyncio.get_running_loop()
        decoder_class(target.profile)
        (target,) = self._valid([target])
        supervisor = _Supervisor(target, SensorStream(target, self.counters))
        self._supervisors[target.sensor_id] = supervisor
        if target.address:
            self._by_address[target.address] = supervisor
        await self._start_scanner()
        writer = asyncio.create_task(self._packets.run(), name="ble-writer")
        session: asyncio.Task[None] | None = None
        try:
            found = await self._wait_for_advert(supervisor)
            await self._stop_scanner()
            if found is None:
                raise DeviceNotFound(
                    f"Sensor {target.sensor_id} ({target.address or target.service_uuid}) was not seen advertising "
                    f"within {self.settings.scan_timeout:g} s: is it switched on, in range and not connected elsewhere?"
                )
            session = asyncio.create_task(self._connect_and_serve(supervisor, *found), name=f"ble-collect-{target.sensor_id}")
            await self._collect_window(supervisor, session, seconds)
            supervisor.stop.set()
            await session
        finally:
            supervisor.stop.set()
            if session is not None and not session.done():
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)
            await self._shutdown(writer)

    async def _collect_window(self, supervisor: _Supervisor, session: asyncio.Task[None], seconds: float) -> None:
        serving = asyncio.ensure_future(supervisor.serving.wait())
        try:
            await asyncio.wait([session, serving], return_when=asyncio.FIRST_COMPLETED)
        finally:
            serving.cancel()
        if session.done():
            return
        if seconds > 0:
            await asyncio.wait([session], timeout=seconds)
            return
        # A snapshot: the stall timeout in _serve bounds the wait for a silent device.
        first_readings = asyncio.ensure_future(self._packets.readings_seen.wait())
        try:
            await asyncio.wait([session, first_readings], return_when=asyncio.FIRST_COMPLETED)
        finally:
            first_readings.cancel()

    async def _shutdown(self, writer: asyncio.Task[None]) -> None:
        await self._stop_scanner()
        await asyncio.gather(*(self._retire(supervisor) for supervisor in list(self._supervisors.values())))
        self._packets.close()
        await writer
        logger.info("BLE listener stopped: %s", self.counters.log_line())

    # ----------------------------------------------------------------- scanner

    async def _start_scanner(self) -> None:
        kwargs = {} if self._scanner_backend is None else {"backend": self._scanner_backend}
        scanner = BleakScanner(detection_callback=self._on_advertisement, **kwargs)
        try:
            await scanner.start()
        except Exception as error:
            unavailable = adapter_unavailable(error)
            if unavailable is not None:
                raise unavailable from error
            raise
        self._scanner = scanner
        self._last_advert = self._now()

    async def _stop_scanner(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            await self._quietly(scanner.stop(), "stop the scanner")

    def _on_advertisement(self, device: BLEDevice, advertisement: AdvertisementData) -> None:
        self._last_advert = self._now()
        supervisor = self._by_address.get(device.address.upper()) or self._match_by_service(advertisement)
        if supervisor is None:
            return
        self._seen[supervisor.target.sensor_id] = (device, advertisement)
        supervisor.advertised.set()

    def _match_by_service(self, advertisement: AdvertisementData) -> _Supervisor | None:
        # Only sensors registered without an address (e.g. macOS, where addresses are per-host UUIDs)
        # are matched by the service UUID they advertise.
        advertised = {uuid.lower() for uuid in advertisement.service_uuids}
        for supervisor in self._supervisors.values():
            target = supervisor.target
            if not target.address and target.service_uuid and target.service_uuid.lower() in advertised:
                return supervisor
        return None

    async def _watchdog(self) -> None:
        period = self.settings.scanner_watchdog / 4
        while True:
            await asyncio.sleep(period)
            # Connected peripherals stop advertising, so silence only matters while someone waits.
            waiting = any(supervisor.waiting_for_advert for supervisor in self._supervisors.values())
            silent_for = self._now() - self._last_advert
            if waiting and silent_for > self.settings.scanner_watchdog:
                logger.warning("no BLE advertisement for %.1f s: restarting the scanner", silent_for)
                await self._stop_scanner()
                await self._start_scanner()
                self.counters.scanner_restarts += 1

    # ----------------------------------------------------------------- registry

    async def _registry_loop(self) -> None:
        while True:
            await self.refresh_registry()
            await asyncio.sleep(self.settings.registry_interval)

    async def refresh_registry(self) -> None:
        """Start supervisors for new sensors, retire removed or changed ones."""
        try:
            result = self._registry()
            targets = await result if inspect.isawaitable(result) else result
            wanted = {target.sensor_id: target for target in self._valid(list(targets))}
        except Exception:
            logger.exception("could not read the sensor registry; keeping the current sensors")
            return
        retiring = [s for sid, s in self._supervisors.items() if wanted.get(sid) != s.target]
        await asyncio.gather(*(self._retire(supervisor) for supervisor in retiring))
        for sensor_id, target in wanted.items():
            if sensor_id not in self._supervisors:
                self._launch(target)

    def _valid(self, targets: list[Target]) -> Iterable[Target]:
        for target in targets:
            try:
                decoder_class(target.profile)
            except UnknownProfile as error:
                logger.error("sensor %s skipped: %s", target.sensor_id, error)
                continue
            yield Target(target.sensor_id, (target.address or "").upper(), target.profile, target.service_uuid)

    def _launch(self, target: Target) -> None:
        supervisor = _Supervisor(target, SensorStream(target, self.counters))
        self._supervisors[target.sensor_id] = supervisor
        if target.address:
            self._by_address[target.address] = supervisor
        supervisor.task = asyncio.create_task(self._supervise(supervisor), name=f"ble-{target.sensor_id}")
        logger.info("listening for sensor %s (%s, %s)", target.sensor_id, target.address or target.service_uuid, target.profile)

    async def _retire(self, supervisor: _Supervisor) -> None:
        supervisor.stop.set()
        task = supervisor.task
        if task is not None:
            grace = 3 * self.settings.operation_timeout
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            except Exception:
                logger.exception("supervisor of %s failed", supervisor.target.sensor_id)
        target = supervisor.target
        if self._supervisors.get(target.sensor_id) is supervisor:
            del self._supervisors[target.sensor_id]
        if self._by_address.get(target.address) is supervisor:
            del self._by_address[target.address]
        self._seen.pop(target.sensor_id, None)

    # ----------------------------------------------------------------- supervisor

    async def _supervise(self, supervisor: _Supervisor) -> None:
        settings = self.settings
        target = supervisor.target
        attempt = 0
        tried_before = False
        while not supervisor.stop.is_set() and not self._stop.is_set():
            found = await self._wait_for_advert(supervisor)
            if supervisor.stop.is_set():
                break
            if found is None:
                logger.info("sensor %s (%s) not seen within %.1f s", target.sensor_id, target.address, settings.scan_timeout)
            else:
                if tried_before:
                    self.counters.reconnects += 1
                tried_before = True
                started = self._now()
                try:
                    await self._connect_and_serve(supervisor, *found)
                except LINK_ERRORS as error:
                    logger.warning("sensor %s: %s", target.sensor_id, error)
                except Exception:
                    logger.exception("sensor %s: unexpected failure", target.sensor_id)
                if self._now() - started >= settings.backoff_reset_after:
                    attempt = 0
            if supervisor.stop.is_set():
                break
            delay = backoff_delay(attempt, base=settings.backoff_base, cap=settings.backoff_cap, rng=self._rng)
            attempt += 1
            supervisor.last_backoff = delay
            logger.debug("sensor %s: next attempt in %.2f s", target.sensor_id, delay)
            await _wait_first(supervisor.stop, timeout=delay)

    async def _wait_for_advert(self, supervisor: _Supervisor) -> tuple[BLEDevice, AdvertisementData] | None:
        sensor_id = supervisor.target.sensor_id
        supervisor.advertised.clear()
        self._seen.pop(sensor_id, None)  # a fresh advert proves the device is there now
        supervisor.waiting_for_advert = True
        try:
            await _wait_first(supervisor.advertised, supervisor.stop, timeout=self.settings.scan_timeout)
        finally:
            supervisor.waiting_for_advert = False
        return self._seen.get(sensor_id)

    async def _connect_and_serve(self, supervisor: _Supervisor, device: BLEDevice, advertisement: AdvertisementData) -> None:
        target = supervisor.target
        disconnected = asyncio.Event()
        kwargs: dict[str, Any] = {} if self._client_backend is None else {"backend": self._client_backend}
        async with lease_held(self._lease, device.address.upper(), quietly=self._quietly), self._slots:
            async with self._connect_lock:
                client = await establish_connection(
                    BleakClient,
                    device,
                    target.sensor_id,
                    disconnected_callback=lambda _client: disconnected.set(),
                    max_attempts=self.settings.reconnect_attempts,
                    ble_device_callback=lambda: self._seen.get(target.sensor_id, (device,))[0],
                    **kwargs,
                )
            self.counters.connected += 1
            session = supervisor.stream.open_session(rssi=advertisement.rssi)
            logger.info("sensor %s connected (rssi %s dBm)", target.sensor_id, advertisement.rssi)
            conversation = GattConversation(client=client, session=session, supervisor=supervisor,
                                            settings=self.settings, counters=self.counters, packets=self._packets,
                                            clock=self._clock, now=self._now, stop=self._stop, quietly=self._quietly)
            try:
                await conversation.serve(disconnected)
            finally:
                self.counters.connected -= 1
                await conversation.teardown()

    async def _quietly(self, operation: Awaitable[Any], what: str) -> None:
        try:
            await asyncio.wait_for(operation, self.settings.operation_timeout)
        except Exception as error:  # best effort while tearing down; the link may already be gone
            logger.debug("could not %s: %r", what, error)

    async def _log_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.log_interval)
            logger.info(self.counters.log_line())

    def _now(self) -> float:
        loop = self._loop or asyncio.get_running_loop()
        return loop.time()


__all__ = [
    "AdapterUnavailable", "BleListener", "DeviceBusy", "DeviceLease", "DeviceNotFound", "ListenerSettings", "Target",
    "backoff_delay",
]
