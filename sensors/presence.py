"""Which devices are connected, where, and since when (writes; the gateway calls these).

The Sensor row is the registry shared by every server process: `connection_channel`
names the channel-layer address of the socket holding the device. A newer connection
takes the row over; an older socket's disconnect then changes nothing.
"""

from datetime import timedelta

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from sensors.models import Sensor
from sensors.realtime import fleet_status_publish

# Sent after the commit of every presence change, with `sensor_id` and `online`, for the
# layers above (alarms on silence) that sensors may not import.
presence_changed = Signal()


def _publish_after_commit(sensor_id: str, *, online: bool) -> None:
    def publish():
        sensor = Sensor.objects.filter(pk=sensor_id).first()
        if sensor is not None:
            fleet_status_publish(sensor=sensor)
        presence_changed.send_robust(sender=Sensor, sensor_id=sensor_id, online=online)

    transaction.on_commit(publish)


@transaction.atomic
def presence_connect(*, sensor_id: str, channel: str) -> str:
    """Mark the device online on `channel`; return the channel it was held on before ('' if none)."""
    sensor = Sensor.objects.select_for_update().get(pk=sensor_id)
    previous = sensor.connection_channel if sensor.online else ""
    now = timezone.now()
    Sensor.objects.filter(pk=sensor_id).update(online=True, connected_since=now, last_message_at=now,
                                                connection_channel=channel)
    _publish_after_commit(sensor_id, online=True)
    return previous if previous != channel else ""


def presence_touch(*, sensor_id: str, channel: str) -> None:
    """The device on `channel` was heard from just now (called at most every few seconds)."""
    Sensor.objects.filter(pk=sensor_id, connection_channel=channel).update(last_message_at=timezone.now())


@transaction.atomic
def presence_disconnect(*, sensor_id: str, channel: str) -> bool:
    """Mark offline, unless a newer connection already holds the device."""
    changed = Sensor.objects.filter(pk=sensor_id, connection_channel=channel, online=True).update(
        online=False, connection_channel="")
    if changed:
        _publish_after_commit(sensor_id, online=False)
    return bool(changed)


def presence_sweep(*, silent_for: timedelta) -> list[str]:
    """Mark offline every device not heard from for `silent_for` (its server may have died)."""
    cutoff = timezone.now() - silent_for
    stale = list(Sensor.objects.filter(online=True, last_message_at__lt=cutoff).values_list("pk", "connection_channel"))
    gone = []
    for sensor_id, channel in stale:
        if presence_disconnect(sensor_id=sensor_id, channel=channel):
            gone.append(sensor_id)
    return gone


def presence_touch_held(*, channel: str) -> int:
    """Every online device held on `channel` (a bridge whose broker keeps them connected) was
    heard from just now; the sweep marks them offline if that bridge dies."""
    return Sensor.objects.filter(online=True, connection_channel=channel).update(last_message_at=timezone.now())
