"""`python manage.py mqtt_bridge`: hand MQTT devices' telemetry to ingest, ack it once durable,
deliver their commands and keep their presence. Run one or more (distinct `--client-id`s)."""

import asyncio
import signal
import socket

from django.core.management.base import BaseCommand, CommandError

from transports.mqtt.bridge import Bridge
from transports.mqtt.endpoint import endpoint_configured


class Command(BaseCommand):
    help = "Bridge the MQTT broker in MQTT_URL to Sensorium (telemetry, acks, commands, presence)."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", default=f"sensorium-bridge-{socket.gethostname()}",
                            help="MQTT client id; keep it stable: the broker keeps this bridge's session "
                                 "(and the messages queued for it) under it. One per bridge process.")
        parser.add_argument("--inflight", type=int, default=0,
                            help="Messages held unacknowledged (default MQTT_BRIDGE_INFLIGHT).")
        parser.add_argument("--retire", action="store_true",
                            help="Take no new messages, store and ack what the broker kept for this client id, "
                                 "then end its session (for a bridge you stop running for good).")

    def handle(self, *args, client_id: str, inflight: int, retire: bool, **options):
        endpoint = endpoint_configured()
        if endpoint is None:
            raise CommandError("Set MQTT_URL (e.g. mqtt://sensorium:SECRET@127.0.0.1:1883).")
        asyncio.run(self._run(Bridge(endpoint=endpoint, client_id=client_id, inflight=inflight or None,
                                       retire=retire)))

    async def _run(self, bridge: Bridge) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await bridge.run(stop)
