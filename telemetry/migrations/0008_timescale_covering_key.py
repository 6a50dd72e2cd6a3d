"""TimescaleDB: the IMU hypertable's primary key carries the value columns too, as 0004 made
it on plain PostgreSQL (recent chunks are not compressed yet, and "one sensor, last 24 h" reads
them: index-only now), and create_hypertable's default time index, which nothing reads, goes."""

from django.db import migrations

from telemetry import storage


def timescale_covering_key(apps, schema_editor):
    connection = schema_editor.connection
    if not storage.timescale_installed(db=connection, cached=False):
        return
    storage.imu_primary_key_rebuild(db=connection, include=True)
    with connection.cursor() as cursor:
        for statement in storage.timescale_default_indexes_sql():
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0007_hourly_totals'),
    ]

    operations = [
        migrations.RunPython(timescale_covering_key, migrations.RunPython.noop, elidable=False),
    ]
