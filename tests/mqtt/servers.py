"""A private Mosquitto 2 (dynamic security, free port) and real bridge processes for tests."""

import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import ROOT, Server, _log_path, _wait_until, free_port, server_env
from transports.mqtt.endpoint import MqttEndpoint
from transports.mqtt.mosquitto import mosquitto_binary, mosquitto_config_write


@dataclass
class Broker:
    process: subprocess.Popen
    folder: Path
    endpoint: MqttEndpoint

    @property
    def port(self) -> int:
        return self.endpoint.port

    @property
    def url(self) -> str:
        return f"mqtt://{self.endpoint.username}:{self.endpoint.password}@127.0.0.1:{self.port}"

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text() if path.exists() else ""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def mosquitto_broker(folder: Path | None = None, port: int | None = None):
    """A broker from `mosquitto_config_write` (what `manage.py mosquitto_config` writes)."""
    own_folder = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="sensorium-mosquitto-"))
    port = port or free_port()
    endpoint = MqttEndpoint(host="127.0.0.1", port=port, username="sensorium", password=secrets.token_urlsafe(16))
    conf = mosquitto_config_write(endpoint=endpoint, port=port, folder=folder)
    stderr = (folder / "stderr.log").open("w")
    process = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=stderr, stderr=subprocess.STDOUT)
    broker = Broker(process=process, folder=folder, endpoint=endpoint)
    try:
        _wait_until(lambda: _listening(port), 15, "mosquitto", process, folder / "stderr.log")
        yield broker
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
        stderr.close()
        if own_folder:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def mqtt_bridge(broker: Broker, *, client_id: str = "sensorium-bridge-test", module: str = "", args: tuple = (),
                **env: str):
    """`manage.py mqtt_bridge` (or `python -m <module>` wrapping it) in a subprocess."""
    log = _log_path("mqtt-bridge")
    command = ([sys.executable, "-m", module] if module else [sys.executable, "manage.py", "mqtt_bridge"])
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--client-id", client_id, *args], cwd=ROOT,
                                   env=server_env(MQTT_URL=broker.url, LOG_FORMAT="plain", **env),
                                   stdout=out, stderr=subprocess.STDOUT)
    bridge = Server(process, log)
    try:
        _wait_until(lambda: f"MQTT bridge {client_id} connected" in log.read_text(), 60, "mqtt bridge", process, log)
        yield bridge
    finally:
        bridge.stop()
