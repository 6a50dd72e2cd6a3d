"""Telemetry through a real Mosquitto and a real bridge process: stored, acked only once
durable, stored once whatever is resent or redelivered."""

import threading
import time

import pytest

from sensors.models import Sensor
from telemetry.models import ImuReading
from tests.mqtt.conftest import eventually, readings_for
from tests.mqtt.device import epoch_ms
from tests.mqtt.servers import mqtt_bridge
from transports.mqtt import topics

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def stored(sensor_id: str) -> int:
    return ImuReading.objects.filter(sensor_id=sensor_id).count()


def acks_until(device, wanted: set[int], *, timeout: float = 60) -> set[int]:
    """Seqs acked until every one in `wanted` was (redelivered frames are acked again)."""
    seen: set[int] = set()
    try:
        while not wanted <= seen:
            seen.add(device.expect(topics.ACK, timeout=timeout)["seq"])
    except TimeoutError:
        pass
    return seen


def test_a_frame_is_stored_then_acked(bridge, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-press")
    device = devices(sensor, token)

    assert not device.publish(topics.TELEMETRY, {"seq": 7, "readings": readings_for(sensor.pk, 0, 5)}).is_failure
    assert device.expect(topics.ACK) == {"seq": 7, "accepted": 5, "rejected": []}
    assert eventually(lambda: stored(sensor.pk) == 5, what="5 readings stored")


def test_one_bare_reading_is_a_frame_too(bridge, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-bare")
    device = devices(sensor, token)

    device.publish(topics.TELEMETRY, readings_for(sensor.pk, 0, 1)[0])
    assert device.expect(topics.ACK) == {"seq": None, "accepted": 1, "rejected": []}
    assert eventually(lambda: stored(sensor.pk) == 1, what="the reading stored")


def test_no_ack_comes_before_the_hand_over_is_durable(broker, storage_worker, devices, user, make_sensor, tmp_path):
    sensor, token = make_sensor(owner=user, id="mqtt-slow")
    handed_over = tmp_path / "handed-over.log"
    handed_over.touch()
    frames = {seq: readings_for(sensor.pk, seq, 2) for seq in range(5)}
    with mqtt_bridge(broker, module="tests.mqtt.slow_bridge", SLOW_HANDOVER_S="1.0",
                     SLOW_HANDOVER_LOG=str(handed_over)):
        device = devices(sensor, token)
        for seq, readings in frames.items():
            device.publish_nowait(topics.TELEMETRY, {"seq": seq, "readings": readings})
        for _ in frames:
            ack = device.expect(topics.ACK)
            # Read the moment the ack arrives: the frame's hand-over must be complete already.
            assert str(epoch_ms(frames[ack["seq"]][0]["timestamp"])) in handed_over.read_text().split(), ack
            assert ack["accepted"] == 2
    assert eventually(lambda: stored(sensor.pk) == 10, what="every frame stored")


def test_frames_the_cold_path_could_not_take_are_redelivered_by_the_broker_and_stored_once(
        broker, storage_worker, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-flaky")
    with mqtt_bridge(broker, module="tests.mqtt.flaky_bridge", FLAKY_HANDOVER_FAILURES="3") as flaky:
        device = devices(sensor, token)
        for seq in range(5):
            device.publish_nowait(topics.TELEMETRY, {"seq": seq, "readings": readings_for(sensor.pk, seq)})
        # The device never resends: the bridge reconnects and the broker gives it the frames again.
        assert acks_until(device, set(range(5))) >= set(range(5))
        assert "not durable, not acked" in flaky.output()
    assert eventually(lambda: stored(sensor.pk) == 15, what="every frame stored once")


def test_a_frame_resent_after_a_missing_ack_is_stored_once(bridge, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-resend")
    device = devices(sensor, token)
    frame = {"seq": 1, "readings": readings_for(sensor.pk, 1, 4)}

    device.publish(topics.TELEMETRY, frame)
    device.publish(topics.TELEMETRY, frame)  # the device missed the first ack and sends again
    assert [ack["seq"] for ack in device.collect(topics.ACK, 2)] == [1, 1]
    assert eventually(lambda: stored(sensor.pk) >= 4, what="4 readings stored") and stored(sensor.pk) == 4


def test_a_bridge_killed_mid_stream_loses_nothing_and_stores_every_acked_frame_once(
        broker, storage_worker, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-crash")
    frames, per_frame = 300, 10
    with mqtt_bridge(broker, client_id="sensorium-bridge-crash") as first:
        device = devices(sensor, token)
        sent = threading.Event()

        def stream():
            for seq in range(frames):
                device.publish_nowait(topics.TELEMETRY, {"seq": seq, "readings": readings_for(sensor.pk, seq, per_frame)})
                time.sleep(0.005)
            sent.set()

        threading.Thread(target=stream, daemon=True).start()
        acked = {ack["seq"] for ack in device.collect(topics.ACK, 20)}
        first.kill()  # SIGKILL: whatever it held unacknowledged stays with the broker
    assert sent.wait(30)
    # The device never resends here: only the broker's QoS 1 redelivery of the killed bridge's
    # session can bring the rest (and whatever it had not acked) to the restarted bridge.
    with mqtt_bridge(broker, client_id="sensorium-bridge-crash"):
        acked |= acks_until(device, set(range(frames)) - acked)
        assert acked == set(range(frames))
        assert eventually(lambda: stored(sensor.pk) >= frames * per_frame, timeout=60, what="every frame stored")
    assert stored(sensor.pk) == frames * per_frame


def test_messages_published_while_every_bridge_is_down_are_stored_when_one_returns(
        broker, storage_worker, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-queued")
    with mqtt_bridge(broker, client_id="sensorium-bridge-queue"):
        pass  # the bridge's persistent session now exists; the bridge is stopped
    device = devices(sensor, token)
    for seq in range(10):
        device.publish(topics.TELEMETRY, {"seq": seq, "readings": readings_for(sensor.pk, seq)})
    with mqtt_bridge(broker, client_id="sensorium-bridge-queue"):
        assert sorted(ack["seq"] for ack in device.collect(topics.ACK, 10)) == list(range(10))
    assert eventually(lambda: stored(sensor.pk) == 30, what="the queued frames stored")


def test_a_retired_bridge_hands_over_what_its_session_held_and_takes_no_more(
        broker, storage_worker, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-retire")
    with mqtt_bridge(broker, client_id="sensorium-bridge-stays"):
        with mqtt_bridge(broker, client_id="sensorium-bridge-goes"):
            pass  # stopped for good, its session (and share of the messages) left behind
        device = devices(sensor, token)
        for seq in range(20):
            device.publish(topics.TELEMETRY, {"seq": seq, "readings": readings_for(sensor.pk, seq)})
        with mqtt_bridge(broker, client_id="sensorium-bridge-goes", args=("--retire",)) as retiring:
            assert acks_until(device, set(range(20))) >= set(range(20))
            assert retiring.process.wait(30) == 0
        for seq in range(20, 30):
            device.publish(topics.TELEMETRY, {"seq": seq, "readings": readings_for(sensor.pk, seq)})
        assert acks_until(device, set(range(20, 30))) >= set(range(20, 30))
    assert eventually(lambda: stored(sensor.pk) == 90, what="every frame stored")


def test_presence_follows_the_status_topic_and_the_last_will_marks_a_vanished_device_offline(
        bridge, devices, user, make_sensor, alice_client):
    sensor, token = make_sensor(owner=user, id="mqtt-presence")
    device = devices(sensor, token)  # publishes {"online": true}, retained, with an offline Last Will
    eventually(lambda: Sensor.objects.get(pk=sensor.pk).online, what="online")
    body = alice_client.get(f"/api/v1/sensors/{sensor.pk}").json()
    assert body["online"] is True and body["connected_since"]

    device.vanish()
    eventually(lambda: not Sensor.objects.get(pk=sensor.pk).online, what="offline after the Last Will")
    assert alice_client.get(f"/api/v1/sensors/{sensor.pk}").json()["online"] is False


def test_a_restarted_bridge_learns_who_is_online_from_the_retained_status(
        broker, storage_worker, devices, user, make_sensor):
    sensor, token = make_sensor(owner=user, id="mqtt-retained")
    devices(sensor, token)
    with mqtt_bridge(broker, client_id="sensorium-bridge-retained"):
        eventually(lambda: Sensor.objects.get(pk=sensor.pk).online, what="online from the retained status")


def test_status_reports_the_broker_and_the_bridge(broker, storage_worker, client):
    with mqtt_bridge(broker, client_id="sensorium-bridge-status"):
        dependencies = client.get("/status").json()["dependencies"]
        assert dependencies["mqtt_broker"]["up"] is True
        assert dependencies["mqtt_bridge"]["up"] is True
        assert "sensorium-bridge-status" in dependencies["mqtt_bridge"]["bridges"]
    dependencies = client.get("/status").json()["dependencies"]
    assert dependencies["mqtt_broker"]["up"] is True
    assert dependencies["mqtt_bridge"]["up"] is False
    assert "no MQTT bridge connected" in dependencies["mqtt_bridge"]["detail"]
