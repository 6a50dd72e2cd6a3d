"""Alarm notifications (email, webhooks) on their own queue, `alerts`, so a slow receiver
never holds up readings; and the beat task raising silence alarms."""

import time

from celery import shared_task

from alerts.evaluation import silence_check
from alerts.notifications import delivery_attempt


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
