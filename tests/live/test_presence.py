"""Presence across processes: the sweep and what the API shows."""

from datetime import timedelta

from django.utils import timezone

from sensors.models import Sensor
from sensors.presence import presence_connect
from workers.tasks.presence import presence_sweep_task


def test_sweep_marks_devices_silent_too_long_offline(db, make_sensor, user, settings):
    settings.DEVICE_OFFLINE_AFTER = 90
    quiet, _ = make_sensor(owner=user)
    chatty, _ = make_sensor(owner=user)
    for sensor in (quiet, chatty):
        presence_connect(sensor_id=sensor.pk, channel=f"specific.{sensor.pk}")
    Sensor.objects.filter(pk=quiet.pk).update(last_message_at=timezone.now() - timedelta(seconds=91))
    assert presence_sweep_task.delay().get() == [quiet.pk]
    assert list(Sensor.objects.filter(online=True).values_list("pk", flat=True)) == [chatty.pk]


def test_api_shows_presence(db, make_sensor, user, alice_client):
    sensor, _ = make_sensor(owner=user)
    assert alice_client.get(f"/api/v1/sensors/{sensor.pk}").json()["online"] is False
    presence_connect(sensor_id=sensor.pk, channel="specific.x")
    body = alice_client.get(f"/api/v1/sensors/{sensor.pk}").json()
    assert body["online"] is True and body["connected_since"] and body["last_message_at"]
    assert "connection_channel" not in body
    assert [s["id"] for s in alice_client.get("/api/v1/sensors?online=true").json()["results"]] == [sensor.pk]
