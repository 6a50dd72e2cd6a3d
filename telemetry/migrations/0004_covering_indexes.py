"""Covering keys: a sensor's time range is read from the index alone.

On PostgreSQL (plain or natively partitioned, not TimescaleDB, whose compression keeps
a sensor's rows together by itself) the IMU primary key (sensor_id, timestamp) carries
the value columns as INCLUDE columns, so "one sensor, last 24 h" becomes an index-only
scan over contiguous index pages instead of one heap page per reading. It widens the
one index every row already pays for, rather than adding a second. The metric index
(sensor, name, timestamp) carries `value` the same way. See bench/RESULTS.md.
"""

from django.db import migrations, models

from telemetry import storage

IMU_TABLE = "telemetry_imu_reading"
IMU_VALUES = "accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, battery_level, signal_strength"


def imu_primary_key_sql(*, constraint: str, include: bool) -> list[str]:
    including = f" INCLUDE ({IMU_VALUES})" if include else ""
    return [f"ALTER TABLE {IMU_TABLE} DROP CONSTRAINT {constraint}",
            f"ALTER TABLE {IMU_TABLE} ADD CONSTRAINT {constraint} PRIMARY KEY (sensor_id, timestamp){including}"]


def _imu_primary_key_rebuild(schema_editor, *, include: bool) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or storage.timescale_installed(db=connection, cached=False):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [IMU_TABLE])
        (constraint,) = cursor.fetchone()
        for statement in imu_primary_key_sql(constraint=constraint, include=include):
            cursor.execute(statement)


def imu_primary_key_covering(apps, schema_editor):
    _imu_primary_key_rebuild(schema_editor, include=True)


def imu_primary_key_plain(apps, schema_editor):
    _imu_primary_key_rebuild(schema_editor, include=False)


class Migration(migrations.Migration):

    dependencies = [
        ('sensors', '0001_initial'),
        ('telemetry', '0003_daily_totals'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='metricreading',
            name='metric_sensor_name_time',
        ),
        migrations.AddIndex(
            model_name='metricreading',
            index=models.Index(fields=['sensor', 'name', 'timestamp'], include=('value',), name='metric_sensor_name_time'),
        ),
        migrations.RunPython(imu_primary_key_covering, imu_primary_key_plain, elidable=False),
    ]
