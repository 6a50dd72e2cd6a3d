"""What the transports hook into the rest of the process at start (TransportsConfig.ready):
the BLE gateways' and the MQTT bridges' counters on /metrics, Mosquitto provisioning on
credential changes, and the MQTT broker and bridges on /status."""

from core.metrics import REGISTRY
from transports.ble.status import gateway_collector_register
from transports.mqtt import health, provisioning
from transports.mqtt.metrics import MqttBridgeCollector


def transports_connect() -> None:
    gateway_collector_register()
    provisioning.receivers_connect()
    health.checks_register()
    REGISTRY.register(MqttBridgeCollector())
