import logging

import pytest

from tests.factories import sensor_make


@pytest.fixture
def fleet(user):
    """Two HTTP devices and two socket devices of alice: (sensor id, token) each."""
    def make(kind: str, count: int):
        return [(sensor.pk, token) for sensor, token in
                (sensor_make(owner=user, id=f"fault-{kind}-{i}") for i in range(count))]

    return {"http": make("http", 2), "socket": make("ws", 2)}


@pytest.fixture(autouse=True)
def _quiet_clients():
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
