"""TimescaleDB databases migrated before: the continuous aggregate of hours that 0007 made
goes; daily totals read the rollup table on every backend (telemetry/rollups.py)."""

from django.db import migrations

from telemetry import rollups


def continuous_aggregates_drop(apps, schema_editor):
    rollups.continuous_aggregates_drop(connection=schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('telemetry', '0008_timescale_covering_key'),
    ]

    operations = [
        migrations.RunPython(continuous_aggregates_drop, migrations.RunPython.noop, elidable=False),
    ]
