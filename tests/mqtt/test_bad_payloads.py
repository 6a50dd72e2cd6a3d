"""Whatever a device publishes, the bridge answers on its ack topic (or counts it) and goes on:
it never crashes, and other devices' frames are stored and acked meanwhile."""

import pytest

from telemetry.models import ImuReading
from tests.mqtt.conftest import eventually, readings_for
from transports.mqtt import topics

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def pair(bridge, devices, user, make_sensor):
    """A misbehaving device and a well-behaved one, both connected."""
    bad_sensor, bad_token = make_sensor(owner=user, id="mqtt-bad")
    good_sensor, good_token = make_sensor(owner=user, id="mqtt-good")
    return devices(bad_sensor, bad_token), devices(good_sensor, good_token)


def good_frame_goes_through(good, seq: int) -> None:
    good.publish(topics.TELEMETRY, {"seq": seq, "readings": readings_for("mqtt-good", seq)})
    assert good.expect(topics.ACK) == {"seq": seq, "accepted": 3, "rejected": []}


@pytest.mark.parametrize(("payload", "errors"), [
    (b'{"seq": 1, "readings": [', {"payload"}),
    (b"", {"payload"}),
    (b"\xff\xfe", {"payload"}),
    (b"[1, 2, 3]", {"payload"}),
    (b'{"seq": -1, "readings": []}', {"seq"}),
    (b'{"seq": "one", "readings": []}', {"seq"}),
    (b'{"seq": 1, "readings": {"x": 1}}', {"readings"}),
    (b'{"seq": 1, "readings": [' + b",".join([b"{}"] * 10_001) + b"]}", {"readings"}),
], ids=["truncated", "empty", "not-utf8", "array-of-numbers", "negative-seq", "string-seq", "readings-not-a-list",
        "too-many-readings"])
def test_a_payload_that_is_not_a_frame_gets_an_error_naming_the_field(pair, payload, errors):
    bad, good = pair
    bad.publish(topics.TELEMETRY, payload)
    ack = bad.expect(topics.ACK)
    assert set(ack["errors"]) == errors and ack["errors"][next(iter(errors))][0]
    good_frame_goes_through(good, 1)


def test_readings_of_the_wrong_schema_are_rejected_one_by_one(pair):
    bad, good = pair
    valid = readings_for("mqtt-bad", 0, 1)[0]
    wrong = [{**valid, "acceleration": {"x": "fast"}}, {**valid, "timestamp": "yesterday"},
             {**valid, "sensor_id": "mqtt-good"}]
    bad.publish(topics.TELEMETRY, {"seq": 4, "readings": wrong})
    ack = bad.expect(topics.ACK)
    assert ack["seq"] == 4 and ack["errors"] == {"readings": ["Every reading in the frame was rejected."]}
    assert [entry["index"] for entry in ack["rejected"]] == [0, 1, 2]
    assert "sensor_id" in ack["rejected"][2]["errors"]  # a device cannot write another sensor's readings
    bad.publish(topics.TELEMETRY, {"seq": 5, "readings": [valid, wrong[0]]})
    partial = bad.expect(topics.ACK)
    assert partial["accepted"] == 1 and [entry["index"] for entry in partial["rejected"]] == [1]
    good_frame_goes_through(good, 1)
    assert not ImuReading.objects.filter(sensor_id="mqtt-good", timestamp=valid["timestamp"]).exists()


def test_a_two_megabyte_payload_is_refused_unread(pair):
    bad, good = pair
    bad.publish(topics.TELEMETRY, b'{"seq": 9, "readings": ["' + b"x" * (2 * 1024 * 1024) + b'"]}')
    ack = bad.expect(topics.ACK)
    assert ack["seq"] is None and "At most 1048576 bytes" in ack["errors"]["payload"][0]
    good_frame_goes_through(good, 1)


@pytest.mark.services
def test_the_bridges_counters_reach_metrics(pair, settings, client):
    bad, good = pair
    bad.publish(topics.TELEMETRY, b"not json")
    assert bad.expect(topics.ACK)["errors"]["payload"]
    good_frame_goes_through(good, 1)

    def counted() -> str:
        text = client.get("/metrics").content.decode()
        return "rejected_payload" in text and 'outcome="acked"' in text and text

    text = eventually(counted, what="the bridge's counters in /metrics", timeout=30)
    assert 'sensorium_mqtt_bridge_messages_total{bridge="sensorium-bridge-test",outcome="rejected_payload"} 1.0' in text


def test_a_burst_of_ten_thousand_tiny_messages_is_answered_and_leaves_others_unaffected(pair):
    bad, good = pair
    for _ in range(10_000):
        bad.publish_nowait(topics.TELEMETRY, b"x")
    good_frame_goes_through(good, 1)
    answered = bad.collect(topics.ACK, 10_000, timeout=120)
    assert all(set(ack["errors"]) == {"payload"} for ack in answered)
    good_frame_goes_through(good, 2)
    assert eventually(lambda: ImuReading.objects.filter(sensor_id="mqtt-good").count() == 6, what="good frames stored")
