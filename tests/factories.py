import factory

from sensors.models import DeviceType, Sensor
from sensors.services import sensor_create
from users.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def persist_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


def mac_for(n: int) -> str:
    return ":".join(f"{(n >> shift) & 0xFF:02X}" for shift in (40, 32, 24, 16, 8, 0))


_sensor_counter = iter(range(1, 10**9))


def sensor_make(*, owner: User, device_type: str = DeviceType.IMU, **fields) -> tuple[Sensor, str]:
    """A registered sensor and its device token, made through the real service."""
    n = next(_sensor_counter)
    fields.setdefault("id", f"sensor-{n:04d}")
    fields.setdefault("name", f"Sensor {n}")
    fields.setdefault("mac_address", mac_for(0xC0FFEE000000 + n))
    return sensor_create(owner=owner, device_type=device_type, **fields)
