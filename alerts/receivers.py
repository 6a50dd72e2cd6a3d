"""What alarms listen to: presence changes, and edits of rules and sensors (which
invalidate every process's rule index). Readings arrive on telemetry's "written" hook."""

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from alerts import evaluation
from alerts.models import Rule
from alerts.rules import rules_changed
from sensors.models import Sensor
from sensors.presence import presence_changed

logger = logging.getLogger(__name__)


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
