"""The read side's indexes on PostgreSQL: a sensor's time range is readable from the index alone."""

import pytest
from django.db import connection

from telemetry.storage import partitions_ensure

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes exist on PostgreSQL only")]


def index_definitions(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return [definition for (definition,) in cursor.fetchall()]


def test_imu_primary_key_carries_the_values_also_on_new_partitions():
    from datetime import date

    partitions_ensure(today=date(2031, 1, 1), days_ahead=0)
    for table in ("telemetry_imu_reading", "telemetry_imu_reading_p20310101"):
        (primary,) = [d for d in index_definitions(table) if "pkey" in d]
        assert "(sensor_id, \"timestamp\") INCLUDE (accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, " \
               "battery_level, signal_strength)" in primary


def test_metric_series_index_carries_the_value():
    (series,) = [d for d in index_definitions("telemetry_metric_reading") if "metric_sensor_name_time" in d]
    assert series.endswith('(sensor_id, name, "timestamp") INCLUDE (value)')
