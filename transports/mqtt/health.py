"""/status for MQTT: the broker (Sensorium's client can sign in) and the bridges (each keeps a
retained "online" message on sensorium-bridges/<client id>, which its Last Will turns
"offline" if it dies). Reported once MQTT_URL is set; neither is required: HTTP and WebSocket
ingest go on without them."""

import threading

import msgspec

from core.health import CHECK_TIMEOUT_S, dependency_check_register
from transports.mqtt import topics
from transports.mqtt.endpoint import endpoint_configured

# Subscribed right after the bridges' filter: its SUBACK comes once their retained messages have.
_FENCE_TOPIC = f"{topics.BRIDGES}/-fence-"


def bridges_online(*, timeout: float = CHECK_TIMEOUT_S) -> dict[str, bool]:
    """Every bridge that ever announced itself → whether it is connected now."""
    endpoint = endpoint_configured()
    states: dict[str, bool] = {}
    connected, fenced = threading.Event(), threading.Event()
    failure: list[str] = []
    fence_mid: list[int] = []
    client = endpoint.client()

    def on_connect(client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            failure.append(f"broker refused Sensorium's client: {reason_code}")
            connected.set()
            return
        connected.set()
        client.subscribe(f"{topics.BRIDGES}/+", qos=1)
        fence_mid.append(client.subscribe(_FENCE_TOPIC, qos=1)[1])

    def on_message(client, userdata, message):
        try:
            states[message.topic.rsplit("/", 1)[-1]] = bool(msgspec.json.decode(message.payload).get("online"))
        except (msgspec.DecodeError, AttributeError):
            pass

    client.on_connect, client.on_message = on_connect, on_message
    client.on_subscribe = lambda client, userdata, mid, codes, properties: fenced.set() if mid in fence_mid else None
    client.connect(endpoint.host, endpoint.port, keepalive=10)
    client.loop_start()
    try:
        if not connected.wait(timeout):
            raise TimeoutError("the MQTT broker did not answer in time")
        if failure:
            raise RuntimeError(failure[0])
        if not fenced.wait(timeout):
            raise TimeoutError("the MQTT broker did not confirm the subscription in time")
        return dict(states)
    finally:
        client.disconnect()
        client.loop_stop()


def _broker() -> dict:
    endpoint = endpoint_configured()
    bridges_online()
    return {"detail": f"mosquitto at {endpoint.host}:{endpoint.port}"}


def _bridge() -> dict:
    states = bridges_online()
    online = sorted(name for name, up in states.items() if up)
    if not online:
        raise RuntimeError(f"no MQTT bridge connected (known: {', '.join(sorted(states)) or 'none'})")
    return {"detail": f"{len(online)} bridge(s) connected", "bridges": online}


def checks_register() -> None:
    def configured() -> bool:
        return endpoint_configured() is not None

    dependency_check_register(name="mqtt_broker", probe=_broker, required=False, applies=configured)
    dependency_check_register(name="mqtt_bridge", probe=_bridge, required=False, applies=configured)
