"""MQTT (transports/mqtt): Mosquitto 2 with its dynamic-security plugin, and the bridge."""

from .environment import env

# mqtt://user:password@host:port of Sensorium's own privileged client: the bridge and the
# dynamic-security administration (devices are provisioned on create, rotate, deactivate,
# delete). Empty: no MQTT.
MQTT_URL = env.str("MQTT_URL", default="")
# Telemetry messages one bridge connection holds unacknowledged (MQTT Receive Maximum):
# the broker sends no more until the oldest are durable, so a stalled cold path pushes back.
MQTT_BRIDGE_INFLIGHT = env.int("MQTT_BRIDGE_INFLIGHT", default=1000)
# Larger payloads are answered with an error on the ack topic, not decoded.
MQTT_MAX_PAYLOAD_BYTES = env.int("MQTT_MAX_PAYLOAD_BYTES", default=1024 * 1024)
# How often a bridge looks for queued commands of the devices it holds (commands also
# arrive at once over the channel layer when it is shared, i.e. with REDIS_URL).
MQTT_COMMAND_POLL_S = env.float("MQTT_COMMAND_POLL_S", default=2.0)
