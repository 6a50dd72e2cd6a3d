"""Beat tasks of the live area: devices gone silent go offline; stale commands expire."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings


@shared_task
def presence_sweep_task() -> list[str]:
    from sensors.presence import presence_sweep

    return presence_sweep(silent_for=timedelta(seconds=settings.DEVICE_OFFLINE_AFTER))


@shared_task
def commands_expire_task() -> int:
    from sensors.services import commands_expire

    return commands_expire()
