"""Alarm notifications (email, webhooks) on their own queue, `alerts`, so a slow receiver
never holds up readings; and the beat task raising silence alarms."""

import time

from celery import shared_task
from django.db import InterfaceError, OperationalError

from alerts.evaluation import batch_evaluate as alarms_batch_evaluate
from alerts.evaluation import silence_check
from alerts.notifications import delivery_attempt
from telemetry.coldpath import batch_decode


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def notification_deliver(self, delivery_id: int) -> str:
    """Deliver one alarm notification. Failures retry with backoff through the broker (no
    worker waits meanwhile); eager (embedded) mode has no broker, so it waits in place.
    Idempotent: a delivery already sent or dead-lettered is left alone."""
    while True:
        wait = delivery_attempt(delivery_id=delivery_id)
        if wait is None:
            return "done"
        if not self.request.is_eager:
            raise self.retry(countdown=wait)
        time.sleep(wait)


@shared_task
def alarms_silence_check() -> int:
    return silence_check()


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=True, retry_backoff_max=60, retry_jitter=True, max_retries=None)
def batch_evaluate(message: str) -> int:
    """A written batch whose evaluation failed where it was written (the database away)."""
    return alarms_batch_evaluate(batch=batch_decode(message))
