"""Rules evaluated on written rows: hold time, hysteresis, battery, redelivery, storms."""

import pytest

from alerts.evaluation import readings_evaluate
from alerts.models import Alarm, AlarmEvent, AlarmState
from tests.alerts.helpers import imu_row, metric_row, rule_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def meter(make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="meter-1", device_type="energy_meter")
    return sensor


@pytest.fixture
def forklift(make_sensor, user):
    sensor, _ = make_sensor(owner=user, id="forklift-1", device_type="imu")
    return sensor


def power(*pairs):
    return [metric_row("meter-1", seconds, "power", value) for seconds, value in pairs]


def test_a_threshold_with_a_hold_time_raises_only_once_it_has_held(user, meter):
    rule = rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, for_seconds=600)
    readings_evaluate(metrics=power((0, 1200), (300, 1300)))
    assert not Alarm.objects.exists()  # above for 5 minutes of the 10
    readings_evaluate(metrics=power((599, 1250)))
    assert not Alarm.objects.exists()
    readings_evaluate(metrics=power((600, 1100)))
    alarm = Alarm.objects.get()
    assert (alarm.rule, alarm.sensor, alarm.state) == (rule, meter, AlarmState.ACTIVE)
    assert (alarm.first_value, alarm.last_value) == (1200, 1100)
    assert "power" in alarm.message


def test_a_dip_below_the_threshold_restarts_the_hold_time(user, meter):
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, for_seconds=600)
    readings_evaluate(metrics=power((0, 1200), (500, 900), (700, 1200), (1200, 1200)))
    assert not Alarm.objects.exists()
    readings_evaluate(metrics=power((1300, 1200)))
    assert Alarm.objects.get().first_at.timestamp() - power((700, 0))[0].timestamp.timestamp() == 0


def test_hysteresis_keeps_a_value_oscillating_at_the_limit_from_flapping(user, meter):
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, hysteresis=50)
    oscillating = [(second, 1005 if second % 2 else 995) for second in range(100)]
    readings_evaluate(metrics=power(*oscillating))
    alarm = Alarm.objects.get()
    assert alarm.state == AlarmState.ACTIVE
    assert alarm.retrigger_count == 49  # every return above the limit after the first is a re-trigger
    assert AlarmEvent.objects.filter(alarm=alarm).count() == 1  # raised once; nothing else announced
    readings_evaluate(metrics=power((100, 949)))
    alarm.refresh_from_db()
    assert alarm.state == AlarmState.CLEARED and alarm.cleared_by is None
    assert list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True)) == ["raised", "cleared"]


def test_without_hysteresis_the_same_values_flap(user, meter):
    """The counter-test: what the hysteresis above prevents."""
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000)
    readings_evaluate(metrics=power(*[(second, 1005 if second % 2 else 995) for second in range(10)]))
    assert Alarm.objects.count() == 5


def test_an_imu_field_outside_a_range(user, forklift):
    rule_make(owner=user, sensor=forklift, condition="outside", field="acceleration.z", low=5, high=15)
    readings_evaluate(imu=[imu_row("forklift-1", 0), imu_row("forklift-1", 1, z=25.0)])
    assert Alarm.objects.get().last_value == 25.0


def test_battery_low_from_imu_readings(user, forklift):
    rule_make(owner=user, device_type="imu", condition="battery_below", threshold=10, hysteresis=5)
    readings_evaluate(imu=[imu_row("forklift-1", 0, battery=12), imu_row("forklift-1", 1, battery=5)])
    alarm = Alarm.objects.get()
    assert (alarm.sensor_id, alarm.last_value) == ("forklift-1", 5)
    readings_evaluate(imu=[imu_row("forklift-1", 2, battery=12)])  # within the hysteresis: still low
    assert Alarm.objects.get().state == AlarmState.ACTIVE
    readings_evaluate(imu=[imu_row("forklift-1", 3, battery=80)])  # charged
    assert Alarm.objects.get().state == AlarmState.CLEARED


def test_battery_low_from_metric_readings(user, meter):
    rule_make(owner=user, device_type="energy_meter", condition="battery_below", threshold=20)
    readings_evaluate(metrics=[metric_row("meter-1", 0, "voltage", 230), metric_row("meter-1", 0, "battery_level", 7)])
    assert Alarm.objects.get().last_value == 7


def test_battery_low_from_a_metric_reading_s_battery_field(user, meter):
    """A metric reading's own battery_level reaches the written hook as its sensor's state."""
    from types import SimpleNamespace

    rule_make(owner=user, device_type="energy_meter", condition="battery_below", threshold=20)
    readings_evaluate(metrics=[metric_row("meter-1", 0, "voltage", 230)],
                      sensors=[SimpleNamespace(sensor_id="meter-1", last_seen=metric_row("m", 0, "v", 0).timestamp,
                                               battery_level=9)])
    assert Alarm.objects.get().last_value == 9


def test_a_redelivered_batch_raises_counts_and_announces_nothing_twice(user, meter):
    rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000, hysteresis=100)
    first = power((0, 1200), (1, 950), (2, 1300))
    readings_evaluate(metrics=first)
    readings_evaluate(metrics=first)
    alarm = Alarm.objects.get()
    assert alarm.retrigger_count == 1 and AlarmEvent.objects.count() == 1
    clearing = power((3, 500))
    readings_evaluate(metrics=clearing)
    readings_evaluate(metrics=clearing)
    readings_evaluate(metrics=first)  # an old batch arriving again after the clear
    assert Alarm.objects.count() == 1
    assert list(AlarmEvent.objects.values_list("kind", flat=True)) == ["raised", "cleared"]


def test_rules_never_cross_owners(user, other_user, make_sensor, meter):
    theirs, _ = make_sensor(owner=other_user, id="meter-bob", device_type="energy_meter")
    rule_make(owner=user, device_type="energy_meter", condition="above", field="power", threshold=1000)
    readings_evaluate(metrics=[metric_row("meter-bob", 0, "power", 5000)])
    assert not Alarm.objects.exists()
    readings_evaluate(metrics=[metric_row("meter-1", 0, "power", 5000)])
    assert Alarm.objects.get().owner == user


def test_a_disabled_rule_is_not_evaluated(user, meter):
    rule = rule_make(owner=user, sensor=meter, condition="above", field="power", threshold=1000)
    from alerts.services import rule_update

    rule_update(rule=rule, enabled=False)
    readings_evaluate(metrics=power((0, 5000)))
    assert not Alarm.objects.exists()
