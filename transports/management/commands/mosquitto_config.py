"""`python manage.py mosquitto_config --port P --dir D`: a Mosquitto 2 configuration for
Sensorium (then `mosquitto -c D/mosquitto.conf`)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transports.mqtt.endpoint import endpoint_configured
from transports.mqtt.mosquitto import DYNSEC_FILE, mosquitto_config_write


class Command(BaseCommand):
    help = ("Write D/mosquitto.conf and D/dynamic-security.json (Sensorium's own client from MQTT_URL), "
            "so that `mosquitto -c D/mosquitto.conf` is a broker Sensorium can provision.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="Port the broker listens on.")
        parser.add_argument("--dir", required=True, help="Folder for the configuration, its data and its log.")
        parser.add_argument("--bind", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--plugin", default="", help="Path of mosquitto_dynamic_security.so (default: found).")
        parser.add_argument("--reset", action="store_true",
                            help=f"Rewrite {DYNSEC_FILE} even if it exists (forgets every provisioned device).")

    def handle(self, *args, port: int, dir: str, bind: str, plugin: str, reset: bool, **options):
        endpoint = endpoint_configured()
        if endpoint is None:
            raise CommandError("Set MQTT_URL (e.g. mqtt://sensorium:SECRET@127.0.0.1:1883) to name Sensorium's client.")
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        try:
            conf = mosquitto_config_write(endpoint=endpoint, port=port, folder=Path(dir), bind=bind,
                                          plugin=plugin or None, overwrite_dynsec=reset)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Wrote {conf}; start the broker with: mosquitto -c {conf}")
