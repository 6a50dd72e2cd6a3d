"""Retention per device type: whole partitions dropped past every type's retention; inside
the partitions kept, a short-lived type's metric readings deleted on their own; blink
records kept as long as eye trackers' readings."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection

from sensors.models import DeviceType
from telemetry import storage
from telemetry.models import BlinkRecord, MetricReading
from telemetry.schema import MetricRow
from tests.factories import sensor_make
from tests.telemetry.test_storage import on_postgres, partition_names, partition_of
from workers.tasks import retention_apply_task

RETENTION = {"imu": 30, "energy_meter": 730, "eye_tracker": 365, "environment": 365, "other": 365}


def metric_rows(*readings: tuple[str, datetime]) -> list[MetricRow]:
    return [MetricRow(sensor_id, moment, "battery", 80.0) for sensor_id, moment in readings]


def metrics_kept() -> set[tuple[str, datetime]]:
    return set(MetricReading.objects.values_list("sensor_id", "timestamp"))


def in_a_partition_of_its_own(moment: datetime) -> None:
    """On PostgreSQL, make the weekly metric partition holding `moment` (not the default)."""
    if connection.vendor == "postgresql":
        storage.partitions_ensure(today=moment.date(), days_ahead=1)


@pytest.fixture
def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def test_an_imus_metric_readings_go_after_30_days_while_an_energy_meters_of_the_same_age_stay(db, user, settings,
                                                                                              now):
    settings.TELEMETRY_RETENTION_DAYS = RETENTION
    imu, _ = sensor_make(owner=user, device_type=DeviceType.IMU)
    meter, _ = sensor_make(owner=user, device_type=DeviceType.ENERGY_METER)
    tracker, _ = sensor_make(owner=user, device_type=DeviceType.EYE_TRACKER)
    old, recent = now - timedelta(days=40), now - timedelta(days=29)
    in_a_partition_of_its_own(old)
    storage.rows_store(table=storage.METRIC_TABLE, rows=metric_rows(
        (imu.id, old), (imu.id, recent), (meter.id, old), (tracker.id, old)))
    if connection.vendor == "postgresql":
        old_partition = partition_of(storage.METRIC_TABLE, sensor_id=meter.id)
        assert old_partition == partition_of(storage.METRIC_TABLE, sensor_id=imu.id) != "telemetry_metric_reading_default"

    retention_apply_task.delay().get()

    assert metrics_kept() == {(imu.id, recent), (meter.id, old), (tracker.id, old)}
    if connection.vendor == "postgresql":
        assert old_partition in partition_names(storage.METRIC_TABLE)


def test_a_retention_set_in_settings_is_the_one_applied_and_a_second_run_deletes_nothing(db, user, settings, now):
    settings.TELEMETRY_RETENTION_DAYS = {**RETENTION, "environment": 10}
    probe, _ = sensor_make(owner=user, device_type=DeviceType.ENVIRONMENT)
    meter, _ = sensor_make(owner=user, device_type=DeviceType.ENERGY_METER)
    in_a_partition_of_its_own(now - timedelta(days=11))
    storage.rows_store(table=storage.METRIC_TABLE, rows=metric_rows(
        (probe.id, now - timedelta(days=11)), (probe.id, now - timedelta(days=9)), (meter.id, now - timedelta(days=11))))

    retention_apply_task.delay().get()

    assert metrics_kept() == {(probe.id, now - timedelta(days=9)), (meter.id, now - timedelta(days=11))}
    assert storage.metric_types_purge(now=datetime.now(timezone.utc), mode=storage.storage_mode()) == 0


def test_readings_in_the_default_partition_are_purged_per_type_too(db, user, settings, now):
    settings.TELEMETRY_RETENTION_DAYS = RETENTION
    imu, _ = sensor_make(owner=user, device_type=DeviceType.IMU)
    meter, _ = sensor_make(owner=user, device_type=DeviceType.ENERGY_METER)
    far = now - timedelta(days=400)  # no partition made for it: on PostgreSQL it waits in the default one
    storage.rows_store(table=storage.METRIC_TABLE, rows=metric_rows((imu.id, far), (meter.id, far)))

    retention_apply_task.delay().get()

    assert metrics_kept() == {(meter.id, far)}


@on_postgres
def test_a_metric_partition_past_every_device_types_retention_is_dropped(db, user, settings, now):
    settings.TELEMETRY_RETENTION_DAYS = {"imu": 30, "energy_meter": 60, "eye_tracker": 60, "environment": 60,
                                         "other": 60}
    meter, _ = sensor_make(owner=user, device_type=DeviceType.ENERGY_METER)
    old = now - timedelta(days=75)
    in_a_partition_of_its_own(old)
    storage.rows_store(table=storage.METRIC_TABLE, rows=metric_rows((meter.id, old), (meter.id, now)))
    old_partition = partition_of(storage.METRIC_TABLE, sensor_id=meter.id)

    dropped = retention_apply_task.delay().get()

    assert old_partition in dropped
    assert old_partition not in partition_names(storage.METRIC_TABLE)
    assert metrics_kept() == {(meter.id, now)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the TimescaleDB path runs on PostgreSQL only")
def test_on_timescale_the_per_type_delete_runs_on_the_whole_table_with_the_time_bound(db, user, settings, now):
    settings.TELEMETRY_RETENTION_DAYS = RETENTION
    imu, _ = sensor_make(owner=user, device_type=DeviceType.IMU)
    meter, _ = sensor_make(owner=user, device_type=DeviceType.ENERGY_METER)
    old = now - timedelta(days=40)
    storage.rows_store(table=storage.METRIC_TABLE, rows=metric_rows((imu.id, old), (imu.id, now), (meter.id, old)))

    assert storage.metric_types_purge(now=now, mode="timescale") == 1

    assert metrics_kept() == {(imu.id, now), (meter.id, old)}


def test_the_per_type_delete_is_one_statement_joining_the_sensors_by_type():
    assert storage.metric_type_purge_sql(table="telemetry_metric_reading") == (
        "DELETE FROM telemetry_metric_reading p USING sensors_sensor s "
        "WHERE s.id = p.sensor_id AND s.device_type = %s AND p.timestamp < %s")


def test_only_device_types_kept_shorter_than_the_metric_table_are_purged_inside_it(settings, now):
    settings.TELEMETRY_RETENTION_DAYS = {**RETENTION, "environment": 10}
    assert storage.metric_cutoffs(now=now) == {"imu": now - timedelta(days=30), "eye_tracker": now - timedelta(days=365),
                                                "environment": now - timedelta(days=10),
                                                "other": now - timedelta(days=365)}


def test_blink_records_past_the_eye_trackers_retention_go_and_newer_ones_stay(db, user, settings, now):
    settings.TELEMETRY_RETENTION_DAYS = {**RETENTION, "eye_tracker": 90}
    tracker, _ = sensor_make(owner=user, device_type=DeviceType.EYE_TRACKER)
    for days in (91, 89):
        BlinkRecord.objects.create(sensor=tracker, user=user, client_id=uuid.uuid4(), timestamp=now - timedelta(days=days),
                                   blink_count=15, interval_s=60)

    retention_apply_task.delay().get()

    assert list(BlinkRecord.objects.values_list("timestamp", flat=True)) == [now - timedelta(days=89)]
