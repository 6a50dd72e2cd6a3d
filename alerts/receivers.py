"""What alarms listen to: readings written (telemetry's "written" hook), presence changes,
and edits of rules and sensors (which invalidate every process's rule index)."""

import logging

from celery import current_app
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from alerts import evaluation
from alerts.models import Rule
from alerts.rules import rules_changed
from sensors.models import Sensor
from sensors.presence import presence_changed
from telemetry import hooks
from telemetry.coldpath import ColdBatch, batch_encode

logger = logging.getLogger(__name__)
EVALUATE_TASK = "workers.tasks.alerts.batch_evaluate"  # by name: tasks sit above this layer


def batch_written(*, batch: ColdBatch, **kwargs) -> None:
    """Evaluate a committed batch where it was written. Should the database fail us now,
    the rows are stored all the same: their evaluation goes to the alerts queue instead
    of being lost with this attempt."""
    try:
        evaluation.batch_evaluate(batch=batch)
    except DatabaseError:
        logger.warning("Alarm evaluation of a written batch failed; queued for a retry", exc_info=True)
        current_app.tasks[EVALUATE_TASK].delay(batch_encode(batch))


hooks.written.connect(batch_written)


@receiver(presence_changed)
def _presence_changed(sender, *, sensor_id: str, online: bool, **kwargs) -> None:
    if online:
        evaluation.sensor_reconnected(sensor_id=sensor_id)
    else:
        evaluation.sensor_disconnected(sensor_id=sensor_id)


@receiver([post_save, post_delete], sender=Rule)
@receiver([post_save, post_delete], sender=Sensor)
def _scope_changed(sender, **kwargs) -> None:
    rules_changed()
