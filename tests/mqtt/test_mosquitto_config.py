"""`manage.py mosquitto_config` gives a broker Sensorium can provision at once."""

import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from tests.mqtt.conftest import MOSQUITTO_MISSING
from tests.mqtt.device import Device
from tests.mqtt.servers import Broker, _listening
from tests.servers import _wait_until, free_port
from transports.mqtt.dynsec import DynsecAdmin, DynsecError
from transports.mqtt.endpoint import endpoint_parse
from transports.mqtt.mosquitto import mosquitto_binary

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_needs_mqtt_url(settings, tmp_path):
    settings.MQTT_URL = ""
    with pytest.raises(CommandError, match="MQTT_URL"):
        call_command("mosquitto_config", "--port", "1883", "--dir", str(tmp_path))


@pytest.mark.skipif(bool(MOSQUITTO_MISSING), reason=f"needs Mosquitto 2 with dynamic security: {MOSQUITTO_MISSING}")
def test_the_written_configuration_is_a_broker_sensorium_provisions_at_once(settings, tmp_path, user, make_sensor):
    port = free_port()
    settings.MQTT_URL = f"mqtt://sensorium:s%40cret@127.0.0.1:{port}"
    call_command("mosquitto_config", "--port", str(port), "--dir", str(tmp_path))
    dynsec = json.loads((tmp_path / "dynamic-security.json").read_text())
    assert "s@cret" not in (tmp_path / "dynamic-security.json").read_text()  # only its hash
    assert [client["username"] for client in dynsec["clients"]] == ["sensorium"]

    process = subprocess.Popen([mosquitto_binary(), "-c", str(tmp_path / "mosquitto.conf")])
    try:
        _wait_until(lambda: _listening(port), 15, "mosquitto", process, tmp_path / "mosquitto.log")
        broker = Broker(process=process, folder=tmp_path, endpoint=endpoint_parse(settings.MQTT_URL))
        sensor, token = make_sensor(owner=user, id="fresh-broker")
        device = Device(broker, sensor.pk, token)
        assert not device.connect().is_failure
        device.close()
        assert Device(broker, sensor.pk, "").connect().is_failure  # no anonymous or empty password
        with pytest.raises(DynsecError, match="did not accept"):
            with DynsecAdmin(endpoint_parse(f"mqtt://sensorium:wrong@127.0.0.1:{port}"), timeout=2):
                pass
    finally:
        process.terminate()
        process.wait(10)

    # Regenerating keeps the provisioned devices (the file is theirs now) unless --reset.
    call_command("mosquitto_config", "--port", str(port), "--dir", str(tmp_path))
    assert "fresh-broker" in (tmp_path / "dynamic-security.json").read_text()
