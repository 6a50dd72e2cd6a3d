"""Silence ("no message for N seconds"): raised by the scheduled check and on disconnect,
cleared by a reading or a reconnect, never raised twice for one silence."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.evaluation import readings_evaluate, silence_check
from alerts.models import Alarm, AlarmState
from sensors import presence
from sensors.models import Sensor
from telemetry.schema import MetricRow
from tests.alerts.helpers import rule_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def meter(make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    return sensor


def heard(sensor, seconds_ago: float):
    Sensor.objects.filter(pk=sensor.pk).update(last_seen=timezone.now() - timedelta(seconds=seconds_ago))


def test_offline_after_n_seconds_then_cleared_by_a_reading(user, meter):
    rule_make(owner=user, device_type="energy_meter", name="Meter silent", condition="silent", silent_seconds=600)
    heard(meter, 300)
    assert silence_check() == 0
    heard(meter, 601)
    assert silence_check() == 1
    assert silence_check() == 0  # one alarm per silence
    alarm = Alarm.objects.get()
    assert alarm.state == AlarmState.ACTIVE and alarm.first_value >= 600
    assert alarm.message == "Meter silent: meter-1 no message for 600 s"
    readings_evaluate(metrics=[MetricRow("meter-1", timezone.now(), "power", 10.0)])
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED


def test_a_reading_older_than_the_silence_does_not_clear_it(user, meter):
    rule_make(owner=user, sensor=meter, condition="silent", silent_seconds=60)
    heard(meter, 120)
    silence_check()
    readings_evaluate(metrics=[MetricRow("meter-1", timezone.now() - timedelta(seconds=200), "power", 1.0)])
    assert Alarm.objects.get().state == AlarmState.ACTIVE


def test_a_silence_cleared_by_hand_is_not_raised_again_until_the_sensor_speaks(user, meter):
    from alerts.services import alarm_clear

    rule_make(owner=user, sensor=meter, condition="silent", silent_seconds=60)
    heard(meter, 120)
    silence_check()
    alarm_clear(alarm=Alarm.objects.get(), user=user)
    assert silence_check() == 0
    heard(meter, 61)  # it spoke, then went quiet again
    assert silence_check() == 1


def test_a_disconnect_raises_at_once_and_a_reconnect_clears(user, meter, django_capture_on_commit_callbacks):
    rule_make(owner=user, sensor=meter, condition="silent", silent_seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        presence.presence_connect(sensor_id=meter.pk, channel="socket-1")
    Sensor.objects.filter(pk=meter.pk).update(last_message_at=timezone.now() - timedelta(seconds=45))
    with django_capture_on_commit_callbacks(execute=True):
        presence.presence_disconnect(sensor_id=meter.pk, channel="socket-1")
    assert Alarm.objects.get().state == AlarmState.ACTIVE
    with django_capture_on_commit_callbacks(execute=True):
        presence.presence_connect(sensor_id=meter.pk, channel="socket-2")
    assert Alarm.objects.get().state == AlarmState.CLEARED


def test_a_sensor_never_heard_from_counts_from_the_rule_s_creation(user, meter):
    Sensor.objects.filter(pk=meter.pk).update(created_at=timezone.now() - timedelta(days=3))
    rule_make(owner=user, sensor=meter, condition="silent", silent_seconds=3600)
    assert silence_check() == 0
    assert silence_check(now=timezone.now() + timedelta(seconds=3601)) == 1


def test_inactive_sensors_and_other_owners_are_not_checked(user, other_user, make_sensor, meter):
    theirs, _ = make_sensor(owner=other_user, device_type="energy_meter")
    rule_make(owner=user, device_type="energy_meter", condition="silent", silent_seconds=60)
    Sensor.objects.filter(pk=meter.pk).update(status="inactive")
    heard(meter, 999)
    heard(theirs, 999)
    assert silence_check() == 0
