"""Covering keys: a sensor's time range is read from the index alone.

On PostgreSQL (plain or natively partitioned; TimescaleDB in 0008) the IMU primary key (sensor_id, timestamp) carries
the value columns as INCLUDE columns, so "one sensor, last 24 h" becomes an index-only
scan over contiguous index pages instead of one heap page per reading. It widens the
one index every row already pays for, rather than adding a second. The metric index
(sensor, name, timestamp) carries `value` the same way. See bench/RESULTS.md.
"""

from django.db import migrations, models

from telemetry import storage


def _imu_primary_key_rebuild(schema_editor, *, include: bool) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or storage.timescale_installed(db=connection, cached=False):
        return  # TimescaleDB: migration 0008
    storage.imu_primary_key_rebuild(db=connection, include=include)


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
