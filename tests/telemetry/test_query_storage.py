"""The read side's indexes on PostgreSQL: a sensor's time range is readable from the index alone."""

from datetime import date, datetime, timezone

import pytest
from django.db import connection

from telemetry.schema import ImuRow
from telemetry.storage import IMU_TABLE, partitions_ensure, rows_store
from tests.telemetry.test_storage import partition_of

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes exist on PostgreSQL only")]


def index_definitions(table: str) -> list[str]:
    """Index definitions of a table, a partition or a TimescaleDB chunk (a regclass name)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass", [table])
        return [definition for (definition,) in cursor.fetchall()]


def test_imu_primary_key_carries_the_values_also_on_new_partitions():
    """Native partitions made ahead and TimescaleDB chunks made on write inherit the covering key."""
    partitions_ensure(today=date(2031, 1, 1), days_ahead=0)
    rows_store(table=IMU_TABLE, rows=[ImuRow("imu-2031", datetime(2031, 1, 1, 12, tzinfo=timezone.utc),
                                             0.0, 0.0, 9.81, 0.0, 0.0, 0.0, None, None)])
    new_partition = partition_of(IMU_TABLE, sensor_id="imu-2031")
    assert new_partition != IMU_TABLE and not new_partition.endswith("_default")
    for table in (IMU_TABLE, new_partition):
        (primary,) = [d for d in index_definitions(table) if "pkey" in d]
        assert "(sensor_id, \"timestamp\") INCLUDE (accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, " \
               "battery_level, signal_strength)" in primary


def test_metric_series_index_carries_the_value():
    (series,) = [d for d in index_definitions("telemetry_metric_reading") if "metric_sensor_name_time" in d]
    assert series.endswith('(sensor_id, name, "timestamp") INCLUDE (value)')
