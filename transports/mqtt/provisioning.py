"""Keep Mosquitto's dynamic security in step with the registry: a sensor created or given a
new token gets a client with that token as its password; a deactivated one is disabled
(and kicked), an activated one enabled; a deleted one removed.

Runs after the commit, in the process that made the change. A broker that cannot be reached
is logged and counted (`sensorium_mqtt_provisioning_failures_total`), never raised into the
request: the token then works over HTTP and WebSocket, and rotating it again provisions MQTT.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from prometheus_client import Counter

from core.metrics import REGISTRY
from sensors.models import Sensor, SensorStatus
from sensors.selectors import sensor_statuses
from sensors.signals import device_credentials_changed
from transports.mqtt.dynsec import (
    DynsecAdmin,
    DynsecError,
    device_enable_commands,
    device_provision_commands,
    device_remove_commands,
)
from transports.mqtt.endpoint import endpoint_configured

logger = logging.getLogger(__name__)
PROVISIONING_FAILURES = Counter("sensorium_mqtt_provisioning_failures_total",
                                "Dynamic-security changes the MQTT broker did not take (unreachable or refused).",
                                registry=REGISTRY)


def dynsec_apply(*, sensor_id: str, commands: list[dict[str, Any]]) -> bool:
    """Send the commands to the broker in MQTT_URL; False (logged) when it did not take them."""
    endpoint = endpoint_configured()
    if endpoint is None:
        return False
    try:
        with DynsecAdmin(endpoint) as admin:
            admin.run(commands)
    except DynsecError as exc:
        PROVISIONING_FAILURES.inc()
        logger.error("MQTT credentials of sensor %s not updated: %s", sensor_id, exc)
        return False
    return True


def _credentials_changed(sender, *, sensor_id: str, token: str | None, active: bool, **kwargs) -> None:
    if token is not None:
        commands = device_provision_commands(sensor_id=sensor_id, token=token, active=active)
    else:
        commands = device_enable_commands(sensor_id=sensor_id, active=active)
    dynsec_apply(sensor_id=sensor_id, commands=commands)


def _sensor_deleted(sender, *, instance: Sensor, **kwargs) -> None:
    sensor_id = instance.pk
    transaction.on_commit(lambda: dynsec_apply(sensor_id=sensor_id, commands=device_remove_commands(sensor_id=sensor_id)))


def receivers_connect() -> None:
    device_credentials_changed.connect(_credentials_changed, dispatch_uid="mqtt-provisioning")
    post_delete.connect(_sensor_deleted, sender=Sensor, dispatch_uid="mqtt-deprovisioning")


@dataclass
class Reconciliation:
    removed: list[str] = field(default_factory=list)  # clients of sensors that no longer exist
    enabled: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # sensors with no MQTT client: rotate their token


def dynsec_reconcile(*, admin: DynsecAdmin, apply: bool = True) -> Reconciliation:
    """Bring the broker's devices in line with the registry (after a change it missed: the
    broker was down, or a status changed behind the services' back). Clients Sensorium did
    not provision are left alone; a missing password cannot be restored (only the token's
    hash is kept), so those sensors are listed for a token rotation."""
    statuses = sensor_statuses()
    provisioned = admin.device_list()
    outcome = Reconciliation(missing=sorted(set(statuses) - set(provisioned)))
    commands: list[dict[str, Any]] = []
    for sensor_id, enabled in sorted(provisioned.items()):
        if sensor_id not in statuses:
            outcome.removed.append(sensor_id)
            commands += device_remove_commands(sensor_id=sensor_id)
        elif enabled != (statuses[sensor_id] != SensorStatus.INACTIVE):
            (outcome.disabled if enabled else outcome.enabled).append(sensor_id)
            commands += device_enable_commands(sensor_id=sensor_id, active=not enabled)
    if apply and commands:
        admin.run(commands)
    return outcome
