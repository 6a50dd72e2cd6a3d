from django.apps import AppConfig


class SensorsConfig(AppConfig):
    name = "sensors"

    def ready(self) -> None:
        from core.metrics import REGISTRY
        from sensors.ble.status import BleGatewayCollector

        REGISTRY.register(BleGatewayCollector())
