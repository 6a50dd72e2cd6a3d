import pytest

from tests.factories import sensor_make


@pytest.fixture
def device(user):
    """A registered IMU sensor of alice and its device token."""
    return sensor_make(owner=user)
