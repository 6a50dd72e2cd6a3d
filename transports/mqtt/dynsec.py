"""Mosquitto's dynamic-security plugin: the file a new broker starts with, and the commands
that provision devices over `$CONTROL/dynamic-security/v1`.

A device is a dynsec client (username = sensor id, password = its device token) with a role
of its own whose ACLs allow publishing only to its telemetry/command_result/status topics
and subscribing only to its ack/commands topics. Deleting a client kicks its connections,
so a token rotation (delete + create with the new password) or a deletion takes effect at
once; disabling a client (a deactivated sensor) kicks it too.
"""

import base64
import hashlib
import os
import threading
import uuid
from typing import Any

import msgspec

from transports.mqtt import topics
from transports.mqtt.endpoint import MqttEndpoint

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
ADMIN_ROLE = "sensorium-admin"
# Mosquitto 2's own parameters for the passwords in its file (PBKDF2-SHA512).
PASSWORD_ITERATIONS = 101
SALT_BYTES = 12
TIMEOUT_S = 5.0
# Answers meaning the state asked for already holds: provisioning is idempotent.
ALREADY = ("already exists", "not found")


class DynsecError(Exception):
    """The broker could not be reached, or refused a command (the message says which)."""


def device_role(sensor_id: str) -> str:
    return f"sensorium-device-{sensor_id}"


def _acl(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


def device_acls(sensor_id: str) -> list[dict[str, Any]]:
    return ([_acl("publishClientSend", topics.device_topic(sensor_id, kind)) for kind in topics.DEVICE_PUBLISHES]
            + [_acl("subscribeLiteral", topics.device_topic(sensor_id, kind)) for kind in topics.DEVICE_SUBSCRIBES])


def admin_acls() -> list[dict[str, Any]]:
    """Sensorium's own client: administers dynamic security, reads every device topic
    (shared subscriptions included), publishes acks, commands and its own presence."""
    rights = []
    for pattern in (f"{CONTROL_TOPIC}/#", f"{topics.ROOT}/#", f"{topics.BRIDGES}/#"):
        rights += [_acl("publishClientSend", pattern), _acl("publishClientReceive", pattern),
                   _acl("subscribePattern", pattern)]
    # Mosquitto checks a shared subscription's filter with its $share/<group>/ prefix.
    rights.append(_acl("subscribePattern", f"$share/{topics.SHARE_GROUP}/{topics.ROOT}/#"))
    return rights


def password_hashed(password: str) -> dict[str, Any]:
    salt = os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PASSWORD_ITERATIONS)
    return {"password": base64.b64encode(digest).decode(), "salt": base64.b64encode(salt).decode(),
            "iterations": PASSWORD_ITERATIONS}


def dynsec_file_content(*, admin_username: str, admin_password: str) -> dict[str, Any]:
    """The plugin's JSON for a new broker: Sensorium's client and role, nothing else allowed."""
    return {
        "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": True,
                             "subscribe": False, "unsubscribe": True},
        "clients": [{"username": admin_username, "textname": "Sensorium (bridge and provisioning)",
                     "roles": [{"rolename": ADMIN_ROLE}], **password_hashed(admin_password)}],
        "groups": [],
        "roles": [{"rolename": ADMIN_ROLE, "acls": admin_acls()}],
    }


def device_provision_commands(*, sensor_id: str, token: str, active: bool) -> list[dict[str, Any]]:
    """Replace the device's client with one holding this token (kicking sessions of the old)."""
    username = sensor_id
    commands = [
        {"command": "deleteClient", "username": username},
        {"command": "createRole", "rolename": device_role(sensor_id), "acls": device_acls(sensor_id)},
        {"command": "createClient", "username": username, "password": token,
         "textname": f"Sensorium sensor {sensor_id}", "roles": [{"rolename": device_role(sensor_id)}]},
    ]
    if not active:
        commands.append({"command": "disableClient", "username": username})
    return commands


def device_enable_commands(*, sensor_id: str, active: bool) -> list[dict[str, Any]]:
    return [{"command": "enableClient" if active else "disableClient", "username": sensor_id}]


def device_remove_commands(*, sensor_id: str) -> list[dict[str, Any]]:
    return [{"command": "deleteClient", "username": sensor_id},
            {"command": "deleteRole", "rolename": device_role(sensor_id)}]


class DynsecAdmin:
    """One connection of Sensorium's client that sends dynsec commands and waits for their
    answers (matched by correlation data: other processes' answers share the topic)."""

    def __init__(self, endpoint: MqttEndpoint, *, timeout: float = TIMEOUT_S):
        self.endpoint, self.timeout = endpoint, timeout
        self._answers: dict[str, dict[str, Any]] = {}
        self._answered = threading.Condition()
        self._subscribed = threading.Event()
        self._client = endpoint.client(client_id=f"sensorium-admin-{uuid.uuid4().hex[:12]}")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *args: self._subscribed.set()

    def __enter__(self) -> "DynsecAdmin":
        try:
            self._client.connect(self.endpoint.host, self.endpoint.port, keepalive=30)
        except OSError as exc:
            raise DynsecError(f"The MQTT broker at {self.endpoint.host}:{self.endpoint.port} is unreachable: {exc}") from exc
        self._client.loop_start()
        self._client.subscribe(RESPONSE_TOPIC, qos=1)
        if not self._subscribed.wait(self.timeout):
            self.__exit__(None, None, None)
            raise DynsecError("The MQTT broker did not accept Sensorium's client (check MQTT_URL's credentials).")
        return self

    def __exit__(self, *exc_info) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_message(self, client, userdata, message) -> None:
        try:
            responses = msgspec.json.decode(message.payload).get("responses", [])
        except (msgspec.DecodeError, AttributeError):
            return
        with self._answered:
            for response in responses:
                if isinstance(response, dict) and response.get("correlationData"):
                    self._answers[response["correlationData"]] = response
            self._answered.notify_all()

    def run(self, commands: list[dict[str, Any]], *, tolerate: tuple[str, ...] = ALREADY) -> list[dict[str, Any]]:
        """Send the commands in one message; raise DynsecError on an error not in `tolerate`."""
        tagged = [{**command, "correlationData": uuid.uuid4().hex} for command in commands]
        self._client.publish(CONTROL_TOPIC, msgspec.json.encode({"commands": tagged}), qos=1)
        wanted = [command["correlationData"] for command in tagged]
        with self._answered:
            if not self._answered.wait_for(lambda: all(tag in self._answers for tag in wanted), self.timeout):
                raise DynsecError("The broker did not answer the dynamic-security commands in time "
                                  "(is the dynamic-security plugin loaded?).")
            answers = [self._answers.pop(tag) for tag in wanted]
        for command, answer in zip(commands, answers):
            error = answer.get("error")
            if error and not any(phrase in error.lower() for phrase in tolerate):
                raise DynsecError(f"{command['command']} refused: {error}")
        return answers

    def client_list(self) -> list[str]:
        answer = self.run([{"command": "listClients", "verbose": False, "count": -1}], tolerate=())[0]
        return list(answer.get("data", {}).get("clients", []))

    def device_list(self) -> dict[str, bool]:
        """Sensors Sensorium provisioned here (they have its device role) → enabled?"""
        answer = self.run([{"command": "listClients", "verbose": True, "count": -1}], tolerate=())[0]
        return {client["username"]: not client.get("disabled", False)
                for client in answer.get("data", {}).get("clients", [])
                if any(role.get("rolename") == device_role(client["username"]) for role in client.get("roles", []))}
