"""Reading tables become time-partitioned on PostgreSQL.

TimescaleDB hypertables (with compression and retention) when the extension is
available on the server, native range partitions with a DEFAULT partition otherwise.
SQLite keeps the plain tables of 0001. The model state does not change.
"""

from django.conf import settings
from django.db import migrations


def partition_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from telemetry import storage

    use_timescale = storage.timescale_available()
    with schema_editor.connection.cursor() as cursor:
        for layout in storage.TABLES.values():
            if use_timescale:
                statements = storage.timescale_sql(
                    layout=layout, retention_days=storage.retention_days_for(table=layout.table),
                    compress_after_days=settings.TELEMETRY_COMPRESS_AFTER_DAYS)
            else:
                statements = storage.partitioned_tables_sql(layout=layout)
            for statement in statements:
                cursor.execute(statement)
    storage.partitions_ensure()


class Migration(migrations.Migration):

    dependencies = [
        ("telemetry", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(partition_tables, migrations.RunPython.noop, elidable=False),
    ]
