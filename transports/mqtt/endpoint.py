"""MQTT_URL → where the broker is and who Sensorium's privileged client is."""

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

import paho.mqtt.client as paho

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class MqttEndpoint:
    host: str
    port: int
    username: str
    password: str
    tls: bool = False

    def client(self, *, client_id: str = "", clean_start: bool = True, **kwargs) -> paho.Client:
        """A paho client (MQTT 5) with these credentials, not yet connected."""
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5, **kwargs)
        client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set()
        return client


def endpoint_parse(url: str) -> MqttEndpoint:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ImproperlyConfigured(f"MQTT_URL must start with mqtt:// or mqtts://, not {url.split(':', 1)[0]!r}.")
    if not parts.username or not parts.password:
        raise ImproperlyConfigured("MQTT_URL must name Sensorium's client: mqtt://user:password@host:port.")
    return MqttEndpoint(host=parts.hostname or "127.0.0.1", port=parts.port or DEFAULT_PORTS[parts.scheme],
                        username=unquote(parts.username), password=unquote(parts.password),
                        tls=parts.scheme == "mqtts")


def endpoint_configured() -> MqttEndpoint | None:
    """The broker from MQTT_URL, or None when MQTT is not configured."""
    return endpoint_parse(settings.MQTT_URL) if settings.MQTT_URL else None
