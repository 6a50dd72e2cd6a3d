"""Device credentials in Mosquitto's dynamic security, provisioned by Sensorium itself."""

import pytest

from tests.mqtt.conftest import eventually
from tests.mqtt.device import Device
from tests.servers import free_port
from transports.mqtt import topics
from transports.mqtt.dynsec import DynsecAdmin
from transports.mqtt.provisioning import PROVISIONING_FAILURES

pytestmark = pytest.mark.django_db(transaction=True)
NOT_AUTHORIZED = 135  # MQTT 5 reason code


def dynsec_clients(broker) -> list[str]:
    with DynsecAdmin(broker.endpoint) as admin:
        return admin.client_list()


def test_a_sensor_registered_through_the_api_can_connect_with_its_token_and_only_with_it(broker, alice_client):
    created = alice_client.post("/api/v1/sensors", {"id": "mqtt-imu-1", "name": "Press 1"}, format="json")
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    assert "mqtt-imu-1" in dynsec_clients(broker)

    good = Device(broker, "mqtt-imu-1", token)
    assert not good.connect().is_failure
    good.close()
    assert Device(broker, "mqtt-imu-1", token + "x").connect().value == NOT_AUTHORIZED
    assert Device(broker, "mqtt-imu-1", token, username="someone-else").connect().value == NOT_AUTHORIZED


def test_a_device_may_use_only_its_own_topics(broker, user, make_sensor):
    mine, my_token = make_sensor(owner=user, id="acl-mine")
    make_sensor(owner=user, id="acl-other")
    device = Device(broker, mine.pk, my_token)
    assert not device.connect().is_failure
    try:
        for kind in topics.DEVICE_PUBLISHES:
            assert device.publish(kind, {}, topic=topics.device_topic("acl-other", kind)).value == NOT_AUTHORIZED
        for kind in topics.DEVICE_SUBSCRIBES:
            assert device.subscribe(topics.device_topic("acl-other", kind))[0].value == NOT_AUTHORIZED
        assert device.subscribe("sensorium/#")[0].value == NOT_AUTHORIZED
        assert device.subscribe("$CONTROL/dynamic-security/v1/response")[0].value == NOT_AUTHORIZED
        assert device.publish("x", {"commands": [{"command": "listClients"}]},
                              topic="$CONTROL/dynamic-security/v1").value == NOT_AUTHORIZED
        # Its own topics work (the server's side of ack/commands is the bridge's right).
        assert not device.publish(topics.STATUS, {"online": True}).is_failure
        assert device.publish(topics.ACK, {"seq": 1}).value == NOT_AUTHORIZED
    finally:
        device.close()


def test_a_rotated_token_is_refused_at_once_and_its_session_closed(broker, user, make_sensor, alice_client):
    sensor, old_token = make_sensor(owner=user, id="rotate-me")
    device = Device(broker, sensor.pk, old_token)
    assert not device.connect().is_failure

    rotated = alice_client.post(f"/api/v1/sensors/{sensor.pk}/rotate-token")
    assert rotated.status_code == 200, rotated.content
    assert device.disconnected.wait(10), "the broker kept the old token's session"
    assert Device(broker, sensor.pk, old_token).connect().value == NOT_AUTHORIZED
    fresh = Device(broker, sensor.pk, rotated.json()["token"])
    assert not fresh.connect().is_failure
    fresh.close()


def test_a_deactivated_sensor_is_refused_until_it_is_activated_again(broker, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="pause-me")
    device = Device(broker, sensor.pk, token)
    assert not device.connect().is_failure

    assert alice_client.patch(f"/api/v1/sensors/{sensor.pk}", {"status": "inactive"}, format="json").status_code == 200
    assert device.disconnected.wait(10), "the broker kept a deactivated sensor connected"
    assert Device(broker, sensor.pk, token).connect().value == NOT_AUTHORIZED

    assert alice_client.patch(f"/api/v1/sensors/{sensor.pk}", {"status": "active"}, format="json").status_code == 200
    again = Device(broker, sensor.pk, token)
    assert not again.connect().is_failure
    again.close()


def test_a_deleted_sensor_is_removed_from_dynamic_security(broker, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="delete-me")
    assert "delete-me" in dynsec_clients(broker)

    assert alice_client.delete(f"/api/v1/sensors/{sensor.pk}").status_code == 204
    assert "delete-me" not in dynsec_clients(broker)
    assert Device(broker, "delete-me", token).connect().value == NOT_AUTHORIZED


def test_sensors_deleted_with_their_owner_leave_dynamic_security_too(broker, user, make_sensor):
    make_sensor(owner=user, id="cascade-1")
    make_sensor(owner=user, id="cascade-2")
    user.delete()
    eventually(lambda: not {"cascade-1", "cascade-2"} & set(dynsec_clients(broker)), what="cascade removal")


def test_an_unreachable_broker_is_counted_and_never_fails_the_registration(settings, alice_client):
    settings.MQTT_URL = f"mqtt://sensorium:x@127.0.0.1:{free_port()}"
    failures_before = PROVISIONING_FAILURES._value.get()
    created = alice_client.post("/api/v1/sensors", {"id": "no-broker", "name": "Offline broker"}, format="json")
    assert created.status_code == 201 and created.json()["token"]
    assert PROVISIONING_FAILURES._value.get() == failures_before + 1
