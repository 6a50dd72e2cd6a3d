from django.apps import AppConfig


class TransportsConfig(AppConfig):
    """The ways readings arrive: HTTP, the device WebSocket, the BLE gateway and MQTT.
    Each is a thin adapter over telemetry.ingest through transports/devices.py."""

    name = "transports"

    def ready(self) -> None:
        from transports.receivers import transports_connect

        transports_connect()
