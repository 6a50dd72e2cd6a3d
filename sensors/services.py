from django.db import transaction
from django.utils import timezone

from sensors.models import BleProfile, DeviceType, Sensor, SensorStatus
from sensors.tokens import device_token_generate, device_token_hash
from users.models import User

EDITABLE_FIELDS = ("name", "device_type", "mac_address", "ble_profile", "status")


@transaction.atomic
def sensor_create(*, owner: User, id: str, name: str, device_type: str = DeviceType.IMU, mac_address: str | None = None,
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


def sensor_link_state_update(*, sensor_id: str, battery_level: int | None = None,
                             signal_strength: int | None = None) -> None:
    """Record the battery and signal strength a BLE gateway saw for a sensor.

    Motion readings carry both and the cold path stores them on the sensor; a metric-only
    device (an energy meter) has no reading column for them, so the gateway records them here.
    """
    changes = {name: value for name, value in
               (("battery_level", battery_level), ("signal_strength", signal_strength)) if value is not None}
    if changes:
        Sensor.objects.filter(pk=sensor_id).update(**changes)


SIMULATED_BLE_PREFIX = "ble-sim-"


@transaction.atomic
def ble_simulated_sensors_ensure(*, owner: User, profiles: list[str]) -> list[Sensor]:
    """Register one sensor per simulated BLE device (`ble_listen --fake N`), idempotently.

    Device i gets MAC 02:5E:00:00:xx:xx (a locally administered address) and profiles[i];
    a sensor already registered with that MAC is reused as it is.
    """
    sensors = []
    for index, profile in enumerate(profiles):
        mac = f"02:5E:00:00:{index // 256:02X}:{index % 256:02X}"
        sensor = Sensor.objects.filter(mac_address=mac).first()
        if sensor is None:
            device_type = DeviceType.ENERGY_METER if profile == BleProfile.SIG_ENERGY else DeviceType.IMU
            sensor, _token = sensor_create(owner=owner, id=f"{SIMULATED_BLE_PREFIX}{index + 1:03d}",
                                           name=f"Simulated {BleProfile(profile).label} {index + 1}",
                                           device_type=device_type, mac_address=mac, ble_profile=profile)
        sensors.append(sensor)
    return sensors
