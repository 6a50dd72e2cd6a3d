"""The cold-path writer: one task per published group of batches (telemetry/coldpath.py)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from telemetry import coldpath


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
def readings_write_batch(self, batch: str) -> dict:
    """Write one batch (coldpath.batch_encode's text). Idempotent: a redelivered batch stores nothing twice."""
    return coldpath.batch_write(batch=coldpath.batch_decode(batch))
