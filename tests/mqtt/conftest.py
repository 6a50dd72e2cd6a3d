import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings

from tests.mqtt.device import Device
from tests.mqtt.servers import mosquitto_broker, mqtt_bridge
from tests.servers import celery_worker
from transports.mqtt.mosquitto import mosquitto_missing

MOSQUITTO_MISSING = mosquitto_missing()


@pytest.fixture
def broker():
    """A broker per test: a bridge session left by another test would share its messages."""
    if MOSQUITTO_MISSING:
        pytest.skip(f"needs Mosquitto 2 with dynamic security: {MOSQUITTO_MISSING}")
    with mosquitto_broker() as running:
        yield running


@pytest.fixture(autouse=True)
def _mqtt_url(request, settings):
    """Sensorium (this process: the API, provisioning) talks to the test's broker."""
    if "broker" in request.fixturenames:
        settings.MQTT_URL = request.getfixturevalue("broker").url


@pytest.fixture(scope="module")
def storage_worker(django_db_setup, django_db_blocker):
    """With a real Celery broker the bridge hands batches to it: a real worker stores them.
    Embedded (eager), the bridge writes them itself."""
    with ExitStack() as stack:
        if settings.CELERY_BROKER_URL:
            with django_db_blocker.unblock():
                stack.enter_context(celery_worker(pool="threads", concurrency=2))
        yield


@pytest.fixture
def bridge(broker, storage_worker, transactional_db):
    with mqtt_bridge(broker) as running:
        yield running


@pytest.fixture
def devices(broker):
    made: list[Device] = []

    def connect(sensor, token, **kwargs) -> Device:
        device = Device(broker, sensor.pk, token)
        assert not device.connect(**kwargs).is_failure
        made.append(device)
        return device

    yield connect
    for device in made:
        try:
            device.close()
        except Exception:
            pass


def readings_for(sensor_id: str, frame: int, per_frame: int = 3, *, start: datetime | None = None) -> list[dict]:
    start = start or datetime.now(timezone.utc) - timedelta(minutes=30)
    return [{"sensor_id": sensor_id,
             "timestamp": (start + timedelta(milliseconds=frame * per_frame + i)).isoformat().replace("+00:00", "Z"),
             "acceleration": {"x": 0.01 * i, "y": -0.02, "z": 9.81}, "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3}}
            for i in range(per_frame)]


def eventually(check, *, timeout: float = 30, what: str = "the condition"):
    """Poll until `check()` is truthy (work done by another process); return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s (last: {value!r})")
        time.sleep(0.1)
