"""Beat tasks of the live area: devices gone silent go offline; stale commands expire."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from sensors.presence import presence_sweep
from sensors.services import commands_expire


@shared_task
def presence_sweep_task() -> list[str]:
    return presence_sweep(silent_for=timedelta(seconds=settings.DEVICE_OFFLINE_AFTER))


@shared_task
def commands_expire_task() -> int:
    return commands_expire()
