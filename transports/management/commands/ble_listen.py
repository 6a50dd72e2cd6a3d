"""`manage.py ble_listen`: the BLE gateway. Scans for registered sensors, connects, decodes, ingests."""

from __future__ import annotations

import asyncio
import functools
import signal
import socket

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError, CommandParser

from transports.ble import gateway
from transports.ble.decoders import PROFILES
from transports.ble.errors import AdapterUnavailable
from transports.ble.fake import FakeDevice, FakeRadio
from transports.ble.listener import BleListener
from transports.ble.recording import Recorder, RecordingError, replay
from transports.ble.status import gateway_counters_publish
from sensors.services import ble_simulated_sensors_ensure
from users.models import User

PUBLISH_INTERVAL = 10.0  # seconds between counter reports for /metrics


class Command(BaseCommand):
    help = (
        "Listen to the registered BLE sensors: scan, connect, subscribe, decode and ingest their "
        "readings, reconnecting with backoff. Stops cleanly on SIGINT/SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fake", type=int, default=0, metavar="N",
                            help="Use N simulated devices instead of the radio (registers ble-sim-### sensors).")
        parser.add_argument("--owner", default="admin", help="Username owning the simulated sensors (default: admin).")
        parser.add_argument("--record", metavar="FILE", help="Append every raw packet to FILE as JSON lines.")
        parser.add_argument("--replay", metavar="FILE", help="Feed a recording through the decoders and ingest, then exit.")
        parser.add_argument("--duration", type=float, metavar="SECONDS", help="Stop after this many seconds.")
        parser.add_argument("--scan-timeout", type=float, help="Override BLUETOOTH_SCAN_TIMEOUT (seconds).")
        parser.add_argument("--reconnect-attempts", type=int, help="Override BLUETOOTH_RECONNECT_ATTEMPTS.")
        parser.add_argument("--max-connections", type=int, help="Override BLUETOOTH_MAX_CONNECTIONS.")
        parser.add_argument("--log-interval", type=float, default=60.0, help="Seconds between status log lines.")
        parser.add_argument("--gateway-name", default=socket.gethostname(), help="Label of this gateway in /metrics.")

    def handle(self, *args, **options) -> None:
        if options["replay"]:
            if options["fake"] or options["record"]:
                raise CommandError("--replay cannot be combined with --fake or --record.")
            self._replay(options["replay"])
            return
        if options["fake"] < 0:
            raise CommandError("--fake needs a positive number of devices.")
        settings = gateway.listener_settings(
            scan_timeout=options["scan_timeout"],
            reconnect_attempts=options["reconnect_attempts"],
            max_connections=options["max_connections"],
            log_interval=options["log_interval"],
        )
        radio = self._radio(options["fake"], options["owner"]) if options["fake"] else None
        recorder = Recorder(options["record"]) if options["record"] else None
        listener = BleListener(
            registry=self._simulated_only(radio) if radio else gateway.registry,
            ingest=functools.partial(gateway.ingest, registers=gateway.energy_registers()),
            settings=settings,
            scanner_backend=radio.scanner_backend if radio else None,
            client_backend=radio.client_backend if radio else None,
            recorder=recorder,
            lease=gateway.CacheLease(holder=f"gateway:{options['gateway_name']}"),
        )
        try:
            asyncio.run(self._listen(listener, radio, options["duration"], options["gateway_name"]))
        except AdapterUnavailable as error:
            raise CommandError(str(error), returncode=2) from None
        finally:
            if recorder is not None:
                recorder.close()
        counters = listener.counters
        self.stdout.write(f"Stopped: {counters.decoded} readings from {counters.packets} packets "
                          f"({counters.undecodable} undecodable, {counters.dropped} dropped, {counters.gaps} gaps).")

    def _replay(self, path: str) -> None:
        targets = gateway.registry_targets()

        async def replay_and_close():
            try:
                ingest = functools.partial(gateway.ingest, registers=gateway.energy_registers())
                return await replay(path, ingest=ingest, targets=targets)
            finally:
                await gateway.connections_close()

        try:
            counters = asyncio.run(replay_and_close())
        except (OSError, RecordingError) as error:
            raise CommandError(f"Cannot replay {path}: {error}") from None
        self.stdout.write(f"Replayed {counters.packets} packets: {counters.decoded} readings ingested, "
                          f"{counters.rejected} rejected, {counters.undecodable} undecodable.")

    def _radio(self, count: int, owner_name: str) -> FakeRadio:
        owner = User.objects.filter(username=owner_name).first()
        if owner is None:
            raise CommandError(f"--fake registers simulated sensors owned by {owner_name!r}, who does not exist; "
                               "run seed_demo or pass --owner USERNAME.")
        profiles = [PROFILES[index % len(PROFILES)] for index in range(count)]
        sensors = ble_simulated_sensors_ensure(owner=owner, profiles=profiles)
        radio = FakeRadio()
        for index, sensor in enumerate(sensors):
            if sensor.ble_profile:
                radio.add(FakeDevice(address=sensor.mac_address, profile=sensor.ble_profile, seed=index))
        self.stdout.write(f"Simulating {len(radio.devices)} BLE devices: {', '.join(s.pk for s in sensors)}")
        return radio

    @staticmethod
    def _simulated_only(radio: FakeRadio):
        addresses = {device.address for device in radio.devices}

        async def registry():
            return [target for target in await gateway.registry() if target.address in addresses]

        return registry

    async def _listen(self, listener: BleListener, radio: FakeRadio | None, duration: float | None, gateway_name: str) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, listener.request_stop)
        if duration is not None:
            loop.call_later(duration, listener.request_stop)
        publisher = asyncio.create_task(self._publish(listener, gateway_name))
        try:
            await listener.run()
        finally:
            publisher.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            if radio is not None:
                await radio.aclose()
            await sync_to_async(gateway_counters_publish)(gateway=gateway_name, counters=listener.counters.report())
            await gateway.connections_close()

    @staticmethod
    async def _publish(listener: BleListener, gateway_name: str) -> None:
        while True:
            await sync_to_async(gateway_counters_publish)(gateway=gateway_name, counters=listener.counters.report())
            await asyncio.sleep(PUBLISH_INTERVAL)
