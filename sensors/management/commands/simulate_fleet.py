"""`python manage.py simulate_fleet --sensors N --hz H [--url ws://…]`: a fleet of simulated
devices on the device WebSocket (IMU and energy meters), answering commands; with
`--transport mqtt --url mqtt://host:port`, the same devices over the MQTT broker."""

import asyncio
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sensors.models import DeviceType, Sensor
from sensors.services import sensor_create, sensor_token_rotate
from sensors.simulator import SimulatedDevice
from sensors.simulator_mqtt import MqttSimulatedDevice
from users.models import User

SIMULATED_PREFIX = "sim-"


@transaction.atomic
def simulated_sensors_ensure(*, owner: User, count: int) -> list[tuple[str, str, str]]:
    """sim-imu-001, sim-meter-002, …: every fourth an energy meter. Returns (id, token, type);
    tokens of sensors already registered are rotated, since only their hash is stored."""
    fleet = []
    for index in range(1, count + 1):
        device_type = DeviceType.ENERGY_METER if index % 4 == 0 else DeviceType.IMU
        sensor_id = f"{SIMULATED_PREFIX}{'meter' if device_type == DeviceType.ENERGY_METER else 'imu'}-{index:03d}"
        sensor = Sensor.objects.filter(pk=sensor_id).first()
        if sensor is None:
            sensor, token = sensor_create(owner=owner, id=sensor_id, name=f"Simulated {device_type} {index}",
                                          device_type=device_type)
        else:
            token = sensor_token_rotate(sensor=sensor)
        fleet.append((sensor.pk, token, sensor.device_type))
    return fleet


def sensors_from_tokens_file(path: Path) -> list[tuple[str, str, str]]:
    """`sensor_id=token` lines (as `seed_demo --tokens-file` writes them)."""
    pairs = dict(line.strip().split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    types = dict(Sensor.objects.filter(pk__in=pairs).values_list("pk", "device_type"))
    return [(sensor_id, token, types[sensor_id]) for sensor_id, token in pairs.items() if sensor_id in types]


class Command(BaseCommand):
    help = "Run simulated devices over the device WebSocket: IMU and energy data, answers to commands."

    def add_arguments(self, parser):
        parser.add_argument("--sensors", type=int, default=4, help="How many simulated sensors (default 4).")
        parser.add_argument("--hz", type=float, default=5.0, help="Frames per second per device (default 5).")
        parser.add_argument("--url", default="", help="Server base URL (ws:// or wss://; default ws://127.0.0.1:8000), "
                                                      "or the broker's with --transport mqtt (default mqtt://127.0.0.1:1883).")
        parser.add_argument("--transport", choices=("websocket", "mqtt"), default="websocket",
                            help="How the devices talk to Sensorium (default websocket).")
        parser.add_argument("--owner", default="admin", help="Username owning the sensors it registers.")
        parser.add_argument("--tokens-file", default="",
                            help="Use these sensors (sensor_id=token lines, e.g. from seed_demo) instead.")
        parser.add_argument("--seconds", type=float, default=0, help="Stop after this long (default: run until ^C).")

    def handle(self, *args, sensors: int, hz: float, url: str, transport: str, owner: str, tokens_file: str,
               seconds: float, **options):
        if not 0 < hz <= 200:
            raise CommandError("--hz must be between 0 and 200.")
        if tokens_file:
            fleet = sensors_from_tokens_file(Path(tokens_file))
        else:
            user = User.objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No user {owner!r}: run `manage.py seed_demo` or pass --owner.")
            fleet = simulated_sensors_ensure(owner=user, count=sensors)
        if not fleet:
            raise CommandError("No sensors to simulate.")
        device_class = MqttSimulatedDevice if transport == "mqtt" else SimulatedDevice
        url = url or ("mqtt://127.0.0.1:1883" if transport == "mqtt" else "ws://127.0.0.1:8000")
        devices = [device_class(sensor_id=sensor_id, token=token, url=url, hz=hz, device_type=device_type)
                   for sensor_id, token, device_type in fleet]
        self.stdout.write(f"Simulating {len(devices)} devices at {hz:g} Hz against {url}: "
                          f"{', '.join(device.sensor_id for device in devices)}")
        asyncio.run(self.run_fleet(devices, seconds))
        acked = sum(device.acked for device in devices)
        self.stdout.write(f"Stopped: {acked} frames acked, {sum(d.commands_answered for d in devices)} commands answered.")

    async def run_fleet(self, devices: list[SimulatedDevice], seconds: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        if seconds:
            loop.call_later(seconds, stop.set)
        await asyncio.gather(*(device.run(stop) for device in devices))
