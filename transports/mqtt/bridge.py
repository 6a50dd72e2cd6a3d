"""The MQTT bridge (`manage.py mqtt_bridge`): Sensorium's privileged client on the broker.

It subscribes with a persistent session (clean start off, QoS 1) and shared subscriptions,
so several bridge processes split the devices' messages and, while all are down, the broker
keeps them. Each telemetry message goes to the one ingest function (through the device
link); only once its batch is durable does the bridge publish `{"seq": N}` on the device's
ack topic, and only once the broker holds that ack does it acknowledge the device's MQTT
message (manual PUBACK). A bridge killed anywhere before that gets the message again from
the broker when it reconnects, and acks it then; storage keeps every reading once. If the cold path fails, the bridge reconnects so that the broker redelivers
whatever it had not acknowledged.

Acks (MQTT and on the ack topic) go out in the order the messages came, like the device
WebSocket's. The broker sends at most MQTT_BRIDGE_INFLIGHT messages ahead of the oldest
unacknowledged one (MQTT Receive Maximum): a stalled cold path pushes back on the broker,
which queues, instead of filling this process's memory.
"""

import asyncio
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import msgspec
from django.conf import settings
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from transports.mqtt import link, topics
from transports.mqtt.endpoint import MqttEndpoint
from transports.mqtt.frames import FrameInvalid, command_result_read, status_read, telemetry_frame_read
from transports.mqtt.metrics import bridge_counters_publish

logger = logging.getLogger(__name__)
_encode = msgspec.json.Encoder().encode
SESSION_EXPIRY_S = 7 * 24 * 3600
RECONNECT_BACKOFF_S = (0.5, 10.0)
STATUS_LOG_INTERVAL_S = 30.0


@dataclass
class Pending:
    """A received message on its way to being acknowledged."""

    epoch: int  # the connection it came on: after a reconnect its MQTT id means nothing
    mid: int
    qos: int
    sensor_id: str
    reply: dict[str, Any] | None = None  # for the ack topic (None: nothing to say)
    durable: asyncio.Future | None = None
    result: Any = None
    seq: int | None = None
    handled: asyncio.Future | None = None  # reading and handing over, under way


class Bridge:
    def __init__(self, *, endpoint: MqttEndpoint, client_id: str, inflight: int | None = None,
                 max_payload_bytes: int | None = None, retire: bool = False):
        self.endpoint, self.client_id, self.retire = endpoint, client_id, retire
        self.inflight = inflight or settings.MQTT_BRIDGE_INFLIGHT
        self.max_payload_bytes = max_payload_bytes or settings.MQTT_MAX_PAYLOAD_BYTES
        self.counters: Counter[str] = Counter()
        self.epoch = 0
        self.outstanding = 0  # messages received and not yet through the ack loop
        self.last_message_at = time.monotonic()
        self.connected = asyncio.Event()
        self.reconnecting = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.acks: asyncio.Queue[Pending] = asyncio.Queue(maxsize=self.inflight)
        self.devices = link.DeviceDirectory()
        self.client = endpoint.client(client_id=client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.max_inflight_messages_set(self.inflight)
        # What to do once the broker has one of our publishes (PUBACK), by its MQTT id; ids
        # whose PUBACK came before the publisher registered them wait in _published_early.
        self._after_puback: dict[int, Callable[[], None] | None] = {}
        self._published_early: set[int] = set()
        self._puback_lock = threading.Lock()
        self.client.will_set(topics.bridge_topic(client_id), _encode({"online": False}), qos=1, retain=True)
        self.client.reconnect_delay_set(*RECONNECT_BACKOFF_S)

    # --- the paho thread ------------------------------------------------------------------

    def _connect_properties(self) -> Properties:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_S
        properties.ReceiveMaximum = min(self.inflight, 65535)
        return properties

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("The MQTT broker refused the bridge: %s (check MQTT_URL)", reason_code)
            return
        self.epoch += 1
        with self._puback_lock:  # publishes of the previous connection will not be acked now
            self._after_puback.clear()
            self._published_early.clear()
        filters = [topics.shared(topics.device_topic("+", topics.TELEMETRY)),
                   topics.shared(topics.device_topic("+", topics.COMMAND_RESULT)),
                   # Every bridge reads every status (retained: the current presence of all).
                   topics.device_topic("+", topics.STATUS)]
        if self.retire:  # take no new share; what the session holds still comes
            client.unsubscribe(filters)
        else:
            client.subscribe([(topic_filter, 1) for topic_filter in filters])
        self._publish(topics.bridge_topic(self.client_id), {"online": True}, retain=True)
        logger.info("MQTT bridge %s connected to %s:%s (session %s)", self.client_id, self.endpoint.host,
                    self.endpoint.port, "resumed" if flags.session_present else "new")
        self.loop.call_soon_threadsafe(self.connected.set)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            logger.error("The MQTT broker refused the bridge's subscriptions: %s (Sensorium's client needs the "
                         "rights `manage.py mosquitto_config` gives it)", ", ".join(refused))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        logger.warning("MQTT bridge %s disconnected: %s", self.client_id, reason_code)
        self.loop.call_soon_threadsafe(self.connected.clear)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._puback_lock:
            if mid not in self._after_puback:
                self._published_early.add(mid)
                return
            then = self._after_puback.pop(mid)
        if then is not None:
            then()

    def _publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False,
                 then: Callable[[], None] | None = None):
        """Publish at QoS 1; run `then` (in paho's thread) once the broker has the message."""
        info = self.client.publish(topic, _encode(payload), qos=1, retain=retain)
        with self._puback_lock:
            if info.mid in self._published_early:
                self._published_early.discard(info.mid)
            else:
                self._after_puback[info.mid] = then
                return info
        if then is not None:
            then()
        return info

    def _on_message(self, client, userdata, message) -> None:
        self.loop.call_soon_threadsafe(self._received, self.epoch, message)

    def _received(self, epoch: int, message) -> None:
        self.outstanding += 1
        self.last_message_at = time.monotonic()
        self.inbox.put_nowait((epoch, message))

    # --- the event loop -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        await self.devices.start()
        await self._connect_until_up()
        tasks = [asyncio.ensure_future(coroutine) for coroutine in (
            self._read_loop(), self._ack_loop(), self._command_loop(), self._housekeeping_loop())]
        try:
            if self.retire:
                await self._retire(stop)
            else:
                await stop.wait()
        finally:
            await self._drain()
            for task in tasks:
                task.cancel()
            await self._goodbye()

    def _connect(self) -> None:
        self.client.connect(self.endpoint.host, self.endpoint.port, keepalive=30, clean_start=False,
                            properties=self._connect_properties())
        self.client.loop_start()

    async def _reconnect(self) -> None:
        """Drop the connection (what it had not acked, the broker redelivers) and come back."""
        if self.reconnecting:
            return
        self.reconnecting = True
        self.epoch += 1  # acks still queued belong to the old connection
        try:
            await asyncio.to_thread(self._disconnect)
            await asyncio.sleep(RECONNECT_BACKOFF_S[0])
            await self._connect_until_up()
        finally:
            self.reconnecting = False

    async def _connect_until_up(self) -> None:
        delay = RECONNECT_BACKOFF_S[0]
        while True:
            try:
                await asyncio.to_thread(self._connect)
                return
            except OSError as exc:
                logger.warning("MQTT broker at %s:%s unreachable (%s); retrying in %.1fs",
                               self.endpoint.host, self.endpoint.port, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_BACKOFF_S[1])

    def _disconnect(self, properties: Properties | None = None) -> None:
        self.client.disconnect(properties=properties)
        self.client.loop_stop()

    async def _drain(self, timeout: float = 10.0) -> None:
        """On a clean stop: let what is being handed over finish and be acked."""
        deadline = time.monotonic() + timeout
        while self.outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def _retire(self, stop: asyncio.Event, quiet_s: float = 3.0) -> None:
        """Work off what the broker kept for this session, then end it (see _goodbye)."""
        await self.connected.wait()
        while not stop.is_set():
            if not self.outstanding and time.monotonic() - self.last_message_at >= quiet_s:
                logger.info("MQTT bridge %s retired: its session is drained and ended", self.client_id)
                return
            await asyncio.sleep(0.2)

    async def _goodbye(self) -> None:
        info = self._publish(topics.bridge_topic(self.client_id), {"online": False}, retain=True)
        await asyncio.to_thread(info.wait_for_publish, 2)
        properties = None
        if self.retire:  # the broker forgets the session: no share of new messages goes to it
            properties = Properties(PacketTypes.DISCONNECT)
            properties.SessionExpiryInterval = 0
        await asyncio.to_thread(self._disconnect, properties)

    def publish(self, sensor_id: str, kind: str, payload: dict[str, Any]) -> None:
        self._publish(topics.device_topic(sensor_id, kind), payload)

    async def _read_loop(self) -> None:
        """Messages are handled concurrently (their live broadcasts and hand-overs share round
        trips), except a device's status, which must apply in order; the ack loop takes them
        in the order they came."""
        while True:
            epoch, message = await self.inbox.get()
            pending = Pending(epoch=epoch, mid=message.mid, qos=message.qos, sensor_id="")
            parsed = topics.device_topic_parse(message.topic)
            if parsed is None:
                self.counters["ignored"] += 1
            else:
                pending.sensor_id, kind = parsed
                handled = self._handle(pending, kind, message.payload)
                if kind == topics.STATUS:
                    await self._guarded(handled, message.topic)
                else:
                    pending.handled = asyncio.ensure_future(self._guarded(handled, message.topic))
            await self.acks.put(pending)

    async def _guarded(self, handled, topic: str) -> None:
        try:
            await handled
        except Exception:  # never let one message stop the bridge: log it, ack it, go on
            logger.exception("MQTT message on %s could not be handled", topic)
            self.counters["failed"] += 1

    async def _handle(self, pending: Pending, kind: str, payload: bytes) -> None:
        if kind == topics.TELEMETRY:
            await self._telemetry(pending, payload)
        elif kind == topics.COMMAND_RESULT:
            await self._command_result(pending, payload)
        elif kind == topics.STATUS:
            await self._status(pending.sensor_id, payload)

    async def _telemetry(self, pending: Pending, payload: bytes) -> None:
        self.counters["telemetry"] += 1
        try:
            frame = telemetry_frame_read(payload, max_bytes=self.max_payload_bytes)
        except FrameInvalid as exc:
            self._refused(pending, exc.seq, exc.errors, reason=next(iter(exc.errors)))
            return
        pending.seq = frame.seq
        sensor = await self.devices.sensor(pending.sensor_id)
        if sensor is None:
            self._refused(pending, frame.seq, {"sensor_id": ["Unknown sensor."]}, reason="unknown_sensor")
            return
        try:
            pending.result, pending.durable = await link.frame_begin(readings=frame.readings, sensor=sensor)
        except link.FrameRefused as exc:
            self._refused(pending, frame.seq, exc.errors, reason="readings")

    def _refused(self, pending: Pending, seq: int | None, errors: dict[str, list[str]], *, reason: str) -> None:
        self.counters[f"rejected_{reason}"] += 1
        pending.reply = {"seq": seq, "errors": errors}

    async def _command_result(self, pending: Pending, payload: bytes) -> None:
        try:
            result = command_result_read(payload)
        except FrameInvalid as exc:
            pending.reply = {"errors": exc.errors}
            return
        if not await link.command_complete(sensor_id=pending.sensor_id, result=result):
            pending.reply = {"id": str(result.command_id),
                             "errors": {"id": ["Unknown, expired or already answered command."]}}

    async def _status(self, sensor_id: str, payload: bytes) -> None:
        online = status_read(payload)
        if online is None:
            self.counters["rejected_status"] += 1
            return
        if online:
            for command in await self.devices.connected(sensor_id):
                self.publish(sensor_id, topics.COMMANDS, link.command_frame(command))
        else:
            await self.devices.disconnected(sensor_id)

    async def _ack_loop(self) -> None:
        while True:
            pending = await self.acks.get()
            try:
                await self._acknowledge(pending)
            finally:
                self.outstanding -= 1

    async def _acknowledge(self, pending: Pending) -> None:
        if pending.handled is not None:
            await pending.handled
        if pending.durable is not None:
            try:
                await pending.durable
            except Exception as exc:
                expected = isinstance(exc, link.ColdPathUnavailable)
                logger.log(logging.WARNING if expected else logging.ERROR,
                           "Telemetry of %s (seq %s) not durable, not acked: %r; reconnecting for redelivery",
                           pending.sensor_id, pending.seq, exc, exc_info=not expected)
                self.counters["not_durable"] += 1
                asyncio.ensure_future(self._reconnect())
                return
        if pending.result is not None:
            pending.reply = link.ack_frame(seq=pending.seq, result=pending.result)
            self.counters["acked" if pending.result.accepted else "rejected_readings"] += 1
        if pending.epoch != self.epoch:
            return  # came on a connection since dropped: the broker sends it again
        message_ack = self._message_ack(pending)
        if pending.reply is not None and pending.sensor_id:
            # The device's message is acknowledged only once the broker holds our ack of it:
            # a bridge dying in between gets the message again rather than losing the ack.
            self._publish(topics.device_topic(pending.sensor_id, topics.ACK), pending.reply, then=message_ack)
        else:
            message_ack()

    def _message_ack(self, pending: Pending) -> Callable[[], None]:
        def ack() -> None:
            if pending.qos and pending.epoch == self.epoch:
                self.client.ack(pending.mid, pending.qos)

        return ack

    async def _command_loop(self) -> None:
        """Commands posted while a device is held here: at once over the channel layer, and a
        poll in case the API's process does not share it (embedded mode)."""
        while True:
            for command in await self.devices.commands_due():
                self.publish(command.sensor_id, topics.COMMANDS, link.command_frame(command))

    async def _housekeeping_loop(self) -> None:
        last_log = time.monotonic()
        while True:
            await asyncio.sleep(settings.DEVICE_PRESENCE_WRITE_INTERVAL)
            await self.devices.touch_held()
            await asyncio.to_thread(bridge_counters_publish, client_id=self.client_id, counters=self.counters)
            if time.monotonic() - last_log >= STATUS_LOG_INTERVAL_S:
                last_log = time.monotonic()
                logger.info("MQTT bridge %s: %s", self.client_id, dict(sorted(self.counters.items())))
