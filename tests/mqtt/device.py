"""A test device speaking MQTT to the broker exactly as firmware would (paho, MQTT 5, QoS 1)."""

import json
import queue
import threading
import time
import uuid
from datetime import datetime
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from transports.mqtt import topics


def epoch_ms(stamp) -> int:
    """A reading's timestamp (ISO 8601, datetime or epoch ms) as epoch milliseconds."""
    if isinstance(stamp, str):
        stamp = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return round(stamp.timestamp() * 1000) if isinstance(stamp, datetime) else int(stamp)


class Device:
    def __init__(self, broker, sensor_id: str, token: str, *, username: str | None = None):
        self.broker, self.sensor_id = broker, sensor_id
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"dev-{sensor_id}-{uuid.uuid4().hex[:6]}",
                                  protocol=paho.MQTTv5)
        self.client.username_pw_set(username or sensor_id, token)
        self.client.will_set(topics.device_topic(sensor_id, topics.STATUS), json.dumps({"online": False}),
                             qos=1, retain=True)
        self.messages: queue.Queue = queue.Queue()
        self.connect_result: ReasonCode | None = None
        self.disconnected = threading.Event()
        self.puback: dict[int, ReasonCode] = {}
        self.suback: dict[int, list[ReasonCode]] = {}
        self._answered = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, userdata, message: self.messages.put(
            (message.topic.rsplit("/", 1)[-1], json.loads(message.payload)))
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = lambda *args: self.disconnected.set()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        with self._answered:
            self.connect_result = reason_code
            self._answered.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._answered:
            self.puback[mid] = reason_code
            self._answered.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._answered:
            self.suback[mid] = reason_codes
            self._answered.notify_all()

    def _wait(self, predicate, timeout: float, what: str):
        with self._answered:
            if not self._answered.wait_for(predicate, timeout):
                raise TimeoutError(f"{self.sensor_id}: no {what} within {timeout}s")

    def connect(self, *, subscribe: bool = True, announce: bool = True, timeout: float = 10) -> ReasonCode:
        """Connect; on success subscribe to ack/commands and publish the retained online status."""
        self.client.connect(self.broker.endpoint.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        self._wait(lambda: self.connect_result is not None, timeout, "CONNACK")
        if self.connect_result.is_failure:
            self.client.loop_stop()
            return self.connect_result
        if subscribe:
            for kind in topics.DEVICE_SUBSCRIBES:
                assert not self.subscribe(topics.device_topic(self.sensor_id, kind))[0].is_failure
        if announce:
            self.publish(topics.STATUS, {"online": True}, retain=True)
        return self.connect_result

    def subscribe(self, topic: str, timeout: float = 10) -> list[ReasonCode]:
        _, mid = self.client.subscribe(topic, qos=1)
        self._wait(lambda: mid in self.suback, timeout, "SUBACK")
        return self.suback[mid]

    def publish(self, kind: str, payload: Any, *, topic: str = "", retain: bool = False,
                timeout: float = 10) -> ReasonCode:
        """Publish at QoS 1 and wait for the broker's PUBACK; return its reason code."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic or topics.device_topic(self.sensor_id, kind), data, qos=1, retain=retain)
        self._wait(lambda: info.mid in self.puback, timeout, "PUBACK")
        return self.puback[info.mid]

    def publish_nowait(self, kind: str, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.client.publish(topics.device_topic(self.sensor_id, kind), data, qos=1)

    def expect(self, kind: str, *, timeout: float = 30) -> dict:
        """The next message on this device's `kind` topic (others received meanwhile are kept)."""
        deadline = time.monotonic() + timeout
        skipped = []
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.sensor_id}: nothing on {kind} within {timeout}s")
                try:
                    got_kind, payload = self.messages.get(timeout=remaining)
                except queue.Empty:
                    continue
                if got_kind == kind:
                    return payload
                skipped.append((got_kind, payload))
        finally:
            for item in skipped:
                self.messages.put(item)

    def collect(self, kind: str, count: int, *, timeout: float = 60) -> list[dict]:
        return [self.expect(kind, timeout=timeout) for _ in range(count)]

    def quiet(self, kind: str, *, seconds: float) -> list[dict]:
        """Whatever arrives on `kind` within `seconds` (to show that nothing does)."""
        found = []
        try:
            while True:
                found.append(self.expect(kind, timeout=seconds))
        except TimeoutError:
            return found

    def vanish(self) -> None:
        """Drop the TCP connection without a DISCONNECT (a device losing power): the broker
        publishes the Last Will."""
        self.client.socket().close()
        self.client.loop_stop()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
