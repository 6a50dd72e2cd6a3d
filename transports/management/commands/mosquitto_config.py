"""`python manage.py mosquitto_config --port P --dir D`: a Mosquitto 2 configuration for
Sensorium (then `mosquitto -c D/mosquitto.conf`).

`--dev` (what `make run` uses): a free port, and Sensorium's own credentials made up once and
kept in D, when MQTT_URL is not set; prints shell assignments of MQTT_URL and MOSQUITTO.
"""

import secrets
import shlex
import socket
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from transports.mqtt.endpoint import MqttEndpoint, endpoint_configured
from transports.mqtt.mosquitto import DYNSEC_FILE, mosquitto_binary, mosquitto_config_write, mosquitto_missing

DEV_PASSWORD_FILE = "sensorium-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dev_endpoint(folder: Path, port: int) -> MqttEndpoint:
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / DEV_PASSWORD_FILE
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(24))
        secret.chmod(0o600)
    return MqttEndpoint(host="127.0.0.1", port=port, username="sensorium", password=secret.read_text().strip())


class Command(BaseCommand):
    help = ("Write D/mosquitto.conf and D/dynamic-security.json (Sensorium's own client from MQTT_URL), "
            "so that `mosquitto -c D/mosquitto.conf` is a broker Sensorium can provision.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=0, help="Port the broker listens on (required unless --dev).")
        parser.add_argument("--dir", required=True, help="Folder for the configuration, its data and its log.")
        parser.add_argument("--bind", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--plugin", default="", help="Path of mosquitto_dynamic_security.so (default: found).")
        parser.add_argument("--reset", action="store_true",
                            help=f"Rewrite {DYNSEC_FILE} even if it exists (forgets every provisioned device).")
        parser.add_argument("--dev", action="store_true",
                            help="Local broker: free port, credentials kept in --dir; prints MQTT_URL=… MOSQUITTO=…")

    def handle(self, *args, port: int, dir: str, bind: str, plugin: str, reset: bool, dev: bool, **options):
        folder = Path(dir)
        endpoint = endpoint_configured()
        if dev:
            missing = mosquitto_missing()
            if missing:
                raise CommandError(f"No local broker: {missing}.")
            port = port or (endpoint.port if endpoint else _free_port())
            endpoint = endpoint or _dev_endpoint(folder, port)
        if endpoint is None:
            raise CommandError("Set MQTT_URL (e.g. mqtt://sensorium:SECRET@127.0.0.1:1883) to name Sensorium's client.")
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        try:
            conf = mosquitto_config_write(endpoint=endpoint, port=port, folder=folder, bind=bind,
                                          plugin=plugin or None, overwrite_dynsec=reset)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        if dev:
            url = f"mqtt://{endpoint.username}:{endpoint.password}@{bind}:{port}"
            self.stdout.write(f"MQTT_URL={shlex.quote(url)} MOSQUITTO={shlex.quote(mosquitto_binary())}")
        else:
            self.stdout.write(f"Wrote {conf}; start the broker with: mosquitto -c {conf}")
