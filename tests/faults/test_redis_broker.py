"""Redis as the Celery broker, stopped for 8 s under load and started again, left the batches the
worker held unstored for the transport's visibility timeout (an hour): 210 of 8,620 accepted
readings in the run in bench/RESULTS.md, "Faults". It is refused at start."""

import subprocess

import pytest

from tests import servers
from tests.faults.brokers import private_redis

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_a_redis_broker_is_refused_at_start():
    with private_redis() as redis:
        worker = subprocess.run(
            [str(servers.BIN / "celery"), "-A", "project", "worker", "--without-gossip", "--without-mingle"],
            cwd=servers.ROOT, env=servers.server_env(CELERY_BROKER_URL=redis.url()), capture_output=True, text=True,
            timeout=60)
    assert worker.returncode != 0
    assert "ImproperlyConfigured: CELERY_BROKER_URL: Redis is not supported as the Celery broker" in worker.stderr
