"""`simulate_fleet --transport mqtt`: simulated devices through the broker and the bridge."""

from io import StringIO

import pytest
from django.core.management import call_command

from sensors.models import Sensor
from telemetry.models import ImuReading
from tests.mqtt.conftest import eventually

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_simulated_fleet_streams_over_mqtt_and_is_stored(broker, bridge, user):
    out = StringIO()
    call_command("simulate_fleet", "--transport", "mqtt", "--url", f"mqtt://127.0.0.1:{broker.port}",
                 "--sensors", "2", "--hz", "5", "--seconds", "4", "--owner", user.username, stdout=out)
    acked = int(out.getvalue().split("Stopped: ", 1)[1].split(" frames acked")[0])
    assert acked >= 10, out.getvalue()
    assert ImuReading.objects.filter(sensor_id="sim-imu-001").count() >= 5
    eventually(lambda: not Sensor.objects.get(pk="sim-imu-001").online, what="offline: it said goodbye on its status topic")
