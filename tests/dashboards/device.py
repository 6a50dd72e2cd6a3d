"""A simulated device on the real device WebSocket (/ws/devices/<id>/) of a test server."""

import json
from contextlib import contextmanager

from websockets.sync.client import connect


class SimulatedDevice:
    def __init__(self, socket):
        self.socket = socket

    def send(self, frame: dict) -> None:
        self.socket.send(json.dumps(frame))

    def receive_until(self, kind: str, timeout: float = 10) -> dict:
        while True:
            frame = json.loads(self.socket.recv(timeout=timeout))
            if frame["type"] == kind:
                return frame


@contextmanager
def simulated_device(ws_url: str, sensor_id: str, token: str):
    with connect(f"{ws_url}/ws/devices/{sensor_id}/",
                 additional_headers={"Authorization": f"Device {token}"}) as socket:
        device = SimulatedDevice(socket)
        device.receive_until("ready")
        yield device
