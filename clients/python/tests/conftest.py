"""Every test here talks to a real Sensorium server (Daphne, embedded mode) over sockets."""

import uuid

import pytest

from sensorium_client import SensoriumClient, TokenStore
from accounts import PASSWORDS
from sensorium_client.testing import LiveServer


@pytest.fixture(scope="session")
def server():
    with LiveServer() as live:
        live.users(PASSWORDS)
        yield live


@pytest.fixture
def store(tmp_path):
    store = TokenStore(tmp_path / "cache.sqlite3")
    yield store
    store.close()


@pytest.fixture
async def api(server, store):
    """alice, signed in."""
    async with SensoriumClient(server.url, store=store) as client:
        await client.login("alice", PASSWORDS["alice"])
        yield client


@pytest.fixture
def unique():
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"
