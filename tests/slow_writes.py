"""The project's Celery app with every readings batch held uncommitted for a while, for the
tests that kill a worker mid-write (`celery -A tests.slow_writes worker`, see
tests/servers.celery_worker(write_delay_s=...)). Production code has no such hook."""

import os
import time

import django
from django.db import transaction

from project.celery import app

django.setup()

from telemetry import coldpath  # noqa: E402  (needs the app registry set up above)

DELAY_S = float(os.environ["SLOW_WRITES_DELAY_S"])
_batch_write = coldpath.batch_write


def _batch_write_held(*, batch: coldpath.ColdBatch) -> dict[str, int]:
    with transaction.atomic():
        written = _batch_write(batch=batch)
        time.sleep(DELAY_S)  # the rows are written, the transaction still open: SIGKILL lands here
    return written


coldpath.batch_write = _batch_write_held

__all__ = ["app"]
