"""The topic tree devices and the bridge share: sensorium/<sensor_id>/<kind>."""

ROOT = "sensorium"
TELEMETRY, ACK, COMMANDS, COMMAND_RESULT, STATUS = "telemetry", "ack", "commands", "command_result", "status"
DEVICE_PUBLISHES = (TELEMETRY, COMMAND_RESULT, STATUS)
DEVICE_SUBSCRIBES = (ACK, COMMANDS)
# Bridges announce themselves here (retained, with a Last Will): /status reads it. Not under
# ROOT/<sensor_id>/, so no sensor's rights reach it.
BRIDGES = "sensorium-bridges"
SHARE_GROUP = "sensorium"


def device_topic(sensor_id: str, kind: str) -> str:
    return f"{ROOT}/{sensor_id}/{kind}"


def device_topic_parse(topic: str) -> tuple[str, str] | None:
    """(sensor_id, kind) of `sensorium/<sensor_id>/<kind>`, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != ROOT or not parts[1]:
        return None
    return parts[1], parts[2]


def shared(topic_filter: str) -> str:
    """The filter as a shared subscription: the broker gives each message to one bridge."""
    return f"$share/{SHARE_GROUP}/{topic_filter}"


def bridge_topic(client_id: str) -> str:
    return f"{BRIDGES}/{client_id}"
