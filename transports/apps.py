from django.apps import AppConfig


class TransportsConfig(AppConfig):
    """The ways readings arrive: HTTP, the device WebSocket, the BLE gateway (and next MQTT).
    Each is a thin adapter over telemetry.ingest through transports/devices.py."""

    name = "transports"

    def ready(self) -> None:
        from transports.ble.status import gateway_collector_register

        gateway_collector_register()
