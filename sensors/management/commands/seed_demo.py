import os


from django.core.management.base import BaseCommand
from django.db import transaction

from sensors.models import DeviceType, Sensor
from sensors.services import sensor_create, sensor_token_rotate
from users.models import User

DEMO_SENSORS = [
    ("imu-001", "Forklift 1 motion", DeviceType.IMU, "C0:FF:EE:00:00:01"),
    ("imu-002", "Conveyor motor motion", DeviceType.IMU, "C0:FF:EE:00:00:02"),
    ("meter-001", "Main panel energy meter", DeviceType.ENERGY_METER, "C0:FF:EE:00:01:01"),
    ("meter-002", "Workshop energy meter", DeviceType.ENERGY_METER, "C0:FF:EE:00:01:02"),
    ("eye-001", "Desk eye tracker", DeviceType.EYE_TRACKER, None),
]


class Command(BaseCommand):
    help = "Create a demo admin and a few demo sensors (idempotent); prints credentials and device tokens."

    def add_arguments(self, parser):
        parser.add_argument("--tokens-file", default="", help="Write sensor_id=token lines here (for the simulator).")

    @transaction.atomic
    def handle(self, *args, tokens_file: str, **options):
        admin = User.objects.filter(username="admin").first()
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or "sensorium-demo"
        if admin is None:
            admin = User.objects.create_superuser("admin", "admin@example.com", password)
            admin.profile.display_name = "Demo Admin"
            admin.profile.save()
            self.stdout.write(self.style.SUCCESS(f"Demo admin created: username admin, password {password}"))
        else:
            self.stdout.write("Demo admin exists: username admin (password unchanged)")

        tokens: dict[str, str] = {}
        for sensor_id, name, device_type, mac in DEMO_SENSORS:
            sensor = Sensor.objects.filter(pk=sensor_id).first()
            if sensor is None:
                sensor, tokens[sensor_id] = sensor_create(owner=admin, id=sensor_id, name=name,
                                                          device_type=device_type, mac_address=mac)
            else:
                tokens[sensor_id] = sensor_token_rotate(sensor=sensor)
        self.stdout.write(f"Demo sensors: {', '.join(tokens)} (owner admin)")
        if tokens_file:
            with open(tokens_file, "w") as handle:
                handle.writelines(f"{sid}={token}\n" for sid, token in tokens.items())
            os.chmod(tokens_file, 0o600)



