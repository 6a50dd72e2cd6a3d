"""The configuration of a Mosquitto 2 broker Sensorium can provision at once
(`manage.py mosquitto_config`, the tests' private brokers, `make run`)."""

import getpass
import json
import os
import shutil
from pathlib import Path

from transports.mqtt.dynsec import dynsec_file_content
from transports.mqtt.endpoint import MqttEndpoint

PLUGIN_NAME = "mosquitto_dynamic_security.so"
PLUGIN_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/mosquitto",
               "/usr/local/lib", "/usr/lib", "/opt/homebrew/lib", "/usr/local/opt/mosquitto/lib")
BINARY_DIRS = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin")
DYNSEC_FILE = "dynamic-security.json"
CONF_FILE = "mosquitto.conf"


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    candidates = (Path(folder) / "mosquitto" for folder in BINARY_DIRS)
    return next((str(path) for path in candidates if os.access(path, os.X_OK)), None)


def dynsec_plugin() -> str | None:
    return next((str(Path(folder) / PLUGIN_NAME) for folder in PLUGIN_DIRS if (Path(folder) / PLUGIN_NAME).is_file()),
                None)


def mosquitto_missing() -> str | None:
    """Why a broker cannot be started here, or None."""
    if mosquitto_binary() is None:
        return "the mosquitto binary is not installed (Debian: apt-get install mosquitto)"
    if dynsec_plugin() is None:
        return f"Mosquitto's dynamic-security plugin ({PLUGIN_NAME}) is not installed"
    return None


def mosquitto_config_write(*, endpoint: MqttEndpoint, port: int, folder: Path, bind: str = "127.0.0.1",
                           plugin: str | None = None, overwrite_dynsec: bool = False) -> Path:
    """Write `folder/mosquitto.conf` and, unless it exists (it holds the provisioned devices),
    the dynamic-security file with Sensorium's own client. Returns the config's path."""
    plugin = plugin or dynsec_plugin()
    if plugin is None:
        raise FileNotFoundError(f"{PLUGIN_NAME} not found in {', '.join(PLUGIN_DIRS)}; pass its path.")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    dynsec = folder / DYNSEC_FILE
    if overwrite_dynsec or not dynsec.exists():
        content = dynsec_file_content(admin_username=endpoint.username, admin_password=endpoint.password)
        dynsec.write_text(json.dumps(content, indent=2))
        dynsec.chmod(0o600)  # it holds password hashes
    conf = folder / CONF_FILE
    conf.write_text(f"""\
# Written by `manage.py mosquitto_config`: regenerate rather than edit.
per_listener_settings false
# Started by root, Mosquitto would switch to user "mosquitto", who cannot read this folder.
user {getpass.getuser()}
listener {port} {bind}
allow_anonymous false
plugin {plugin}
plugin_opt_config_file {dynsec}

# Sessions and their queued QoS 1 messages survive a broker restart.
persistence true
persistence_location {folder}/
autosave_interval 30
# Sessions (and messages) of devices away for more than a week are dropped.
persistent_client_expiration 7d
# Per client: QoS 1 messages queued while it is away (the bridge restarting, a device
# offline), and in flight to MQTT 3 clients (MQTT 5 clients set their Receive Maximum).
max_queued_messages 100000
max_inflight_messages 100
set_tcp_nodelay true

log_dest file {folder}/mosquitto.log
log_type error
log_type warning
log_type notice
connection_messages true
""")
    return conf
