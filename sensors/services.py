from django.db import transaction
from django.utils import timezone

from sensors.models import Sensor, SensorStatus
from sensors.tokens import device_token_generate, device_token_hash
from users.models import User

EDITABLE_FIELDS = ("name", "device_type", "mac_address", "ble_profile", "status")


@transaction.atomic
def sensor_create(*, owner: User, id: str, name: str, device_type: str, mac_address: str | None = None,
                  ble_profile: str = "", status: str = SensorStatus.ACTIVE) -> tuple[Sensor, str]:
    """Register a sensor and return it with its device token (the only time it is visible)."""
    token = device_token_generate()
    sensor = Sensor(id=id, name=name, device_type=device_type, mac_address=mac_address,
                    ble_profile=ble_profile, status=status, owner=owner,
                    token_hash=device_token_hash(token), token_rotated_at=timezone.now())
    sensor.full_clean()
    sensor.save(force_insert=True)
    return sensor, token


@transaction.atomic
def sensor_update(*, sensor: Sensor, **fields) -> Sensor:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(sensor, name, value)
    sensor.full_clean(validate_unique=True)
    sensor.save(update_fields=[*fields, "updated_at"])
    return sensor


@transaction.atomic
def sensor_token_rotate(*, sensor: Sensor) -> str:
    token = device_token_generate()
    sensor.token_hash = device_token_hash(token)
    sensor.token_rotated_at = timezone.now()
    sensor.save(update_fields=["token_hash", "token_rotated_at", "updated_at"])
    return token


def sensor_status_set(*, sensors, status: str) -> int:
    return sensors.update(status=status, updated_at=timezone.now())


def sensor_delete(*, sensor: Sensor) -> None:
    sensor.delete()
