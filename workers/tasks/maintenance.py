"""Beat tasks keeping the reading tables in shape: partitions ahead of need, retention."""

from datetime import datetime, timezone

from celery import shared_task

from telemetry.blink.services import blink_records_expire
from telemetry.storage import partitions_ensure, retention_apply


@shared_task(acks_late=True)
def partitions_ensure_task() -> list[str]:
    return partitions_ensure()


@shared_task(acks_late=True)
def retention_apply_task() -> list[str]:
    """Returns the partitions dropped."""
    now = datetime.now(timezone.utc)
    dropped = retention_apply(now=now)
    blink_records_expire(now=now)
    return dropped
