"""`manage.py mqtt_provision`: the broker's devices brought back in line with the registry."""

from io import StringIO

import pytest
from django.core.management import call_command

from sensors.models import Sensor, SensorStatus
from tests.mqtt.device import Device
from transports.mqtt.dynsec import DynsecAdmin, device_provision_commands

pytestmark = pytest.mark.django_db(transaction=True)
NOT_AUTHORIZED = 135


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("mqtt_provision", *args, stdout=out)
    return out.getvalue()


def test_changes_the_broker_missed_are_put_right(broker, settings, user, make_sensor):
    kept, kept_token = make_sensor(owner=user, id="rec-kept")
    paused, paused_token = make_sensor(owner=user, id="rec-paused")
    Sensor.objects.filter(pk=paused.pk).update(status=SensorStatus.INACTIVE)  # behind the services' back
    with DynsecAdmin(broker.endpoint) as admin:
        admin.run(device_provision_commands(sensor_id="rec-ghost", token="t", active=True))  # no such sensor
        admin.run([{"command": "createClient", "username": "operator-tool", "password": "x"}])  # not Sensorium's
    url, settings.MQTT_URL = settings.MQTT_URL, ""
    make_sensor(owner=user, id="rec-unprovisioned")  # registered while MQTT was off
    settings.MQTT_URL = url

    dry = reconcile("--dry-run")
    assert "1 client(s) would be removed (sensor deleted): rec-ghost" in dry
    assert "1 client(s) would be disabled (sensor inactive): rec-paused" in dry
    still_allowed = Device(broker, paused.pk, paused_token)
    assert not still_allowed.connect().is_failure  # nothing changed yet
    still_allowed.close()

    done = reconcile()
    assert "1 client(s) were removed (sensor deleted): rec-ghost" in done
    assert "rotate their token" in done and "rec-unprovisioned" in done
    with DynsecAdmin(broker.endpoint) as admin:
        clients = set(admin.client_list())
    assert "rec-ghost" not in clients and {"operator-tool", "rec-kept", "rec-paused"} <= clients
    assert Device(broker, paused.pk, paused_token).connect().value == NOT_AUTHORIZED
    device = Device(broker, kept.pk, kept_token)
    assert not device.connect().is_failure
    device.close()
    assert "0 client(s) were removed" in reconcile()  # a second run has nothing to do
