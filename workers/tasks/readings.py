"""The cold-path writer: one task per ingested batch."""

import os
import time

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Only a database that is away or restarting is worth waiting for; bad data
    # (DataError, IntegrityError) fails once and is never retried.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,
)
def readings_write_batch(self, batch: dict) -> dict:
    """Write one batch (a StorageBatch message). Idempotent: a redelivered batch stores nothing twice."""
    from telemetry.services import readings_write
    from telemetry.storage import StorageBatch

    with transaction.atomic():
        written = readings_write(batch=StorageBatch.from_message(batch))
        # Test hook: hold the written batch uncommitted so a test can kill the worker mid-write.
        time.sleep(float(os.environ.get("TELEMETRY_WRITE_DELAY_S") or 0))
    return written
