"""What the transports hook into the rest of the process at start (TransportsConfig.ready):
the BLE gateways' counters on /metrics, Mosquitto provisioning on credential changes, and the
MQTT broker and bridges on /status."""

from transports.ble.status import gateway_collector_register
from transports.mqtt import health, provisioning


def transports_connect() -> None:
    gateway_collector_register()
    provisioning.receivers_connect()
    health.checks_register()
