"""Simulated devices that speak MQTT as firmware would: username = sensor id, password = its
device token, QoS 1, a retained status with an offline Last Will, every frame kept until
its ack arrives on `sensorium/<id>/ack` (resent after a reconnect), commands answered."""

import asyncio
import json
import logging
import time
from urllib.parse import urlsplit

import paho.mqtt.client as paho

from sensors.simulator import SimulatedDevice

logger = logging.getLogger(__name__)


class MqttSimulatedDevice(SimulatedDevice):
    """`url` is the broker's, mqtt://host:port (the device's own credentials are used)."""

    def topic(self, kind: str) -> str:
        return f"sensorium/{self.sensor_id}/{kind}"

    async def run(self, stop: asyncio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        self.inbox: asyncio.Queue = asyncio.Queue()
        broker = urlsplit(self.url)
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sim-{self.sensor_id}", protocol=paho.MQTTv5)
        client.username_pw_set(self.sensor_id, self.token)
        client.will_set(self.topic("status"), json.dumps({"online": False}), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_message = lambda c, u, message: self.loop.call_soon_threadsafe(
            self.inbox.put_nowait, (message.topic.rsplit("/", 1)[-1], json.loads(message.payload)))
        client.reconnect_delay_set(0.5, 10)
        client.connect_async(broker.hostname or "127.0.0.1", broker.port or 1883, keepalive=30)
        client.loop_start()
        sender = asyncio.ensure_future(self._publish_loop(client, stop))
        try:
            while not stop.is_set():
                try:
                    kind, payload = await asyncio.wait_for(self.inbox.get(), 0.5)
                except asyncio.TimeoutError:
                    continue
                self._handle_mqtt(client, kind, payload)
        finally:
            sender.cancel()
            client.publish(self.topic("status"), json.dumps({"online": False}), qos=1, retain=True).wait_for_publish(2)
            client.disconnect()
            client.loop_stop()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.warning("%s: the broker refused the device: %s", self.sensor_id, reason_code)
            return
        client.subscribe([(self.topic("ack"), 1), (self.topic("commands"), 1)])
        client.publish(self.topic("status"), json.dumps({"online": True}), qos=1, retain=True)
        for seq in sorted(self.unacked):  # what the last connection never got acked
            client.publish(self.topic("telemetry"), self.unacked[seq], qos=1)

    async def _publish_loop(self, client, stop: asyncio.Event) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            if client.is_connected():
                now = time.time()
                readings = [self.signal.reading(self.sensor_id, now - (self.readings_per_frame - 1 - i) / 1000, self.hz)
                            for i in range(self.readings_per_frame)]
                self.seq += 1
                text = json.dumps({"seq": self.seq, "readings": readings})
                self.unacked[self.seq] = text
                if self.on_sent:
                    self.on_sent(readings)
                client.publish(self.topic("telemetry"), text, qos=1)
            next_at += 1 / self.hz
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    def _handle_mqtt(self, client, kind: str, payload: dict) -> None:
        if kind == "ack":
            if "errors" in payload:
                self.errors += 1
                logger.warning("%s: server rejected frame %s: %s", self.sensor_id, payload.get("seq"), payload["errors"])
            if self.unacked.pop(payload.get("seq"), None) is not None and "errors" not in payload:
                self.acked += 1
        elif kind == "commands":
            answer = self.command_answer(payload)
            answer.pop("type", None)
            client.publish(self.topic("command_result"), json.dumps(answer), qos=1)
            self.commands_answered += 1
