"""Celery tasks. Each is idempotent, so acks_late redelivery after a crash is safe."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,
)
def readings_write_batch(self, batch: dict) -> dict:
    from telemetry.services import batch_decode, readings_write

    imu, metrics, blinks = batch_decode(batch)
    readings_write(imu=imu, metrics=metrics, blinks=blinks)
    return {"imu": len(imu), "metrics": len(metrics), "blinks": len(blinks)}
