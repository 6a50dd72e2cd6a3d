"""Storage layout: partitions ahead of need, retention by dropping partitions, the
TimescaleDB path, the write task.

Each PostgreSQL test asserts its backend's own truth: native partitions on plain PostgreSQL,
hypertable chunks and policies where TimescaleDB is installed (CI has no TimescaleDB: there
the SQL the TimescaleDB path emits is checked as text, and the suite is run against a real
TimescaleDB outside CI)."""

from datetime import date, datetime, timedelta, timezone
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db import DataError, OperationalError, connection

from project.celery import app as celery_app
from telemetry import coldpath, storage
from telemetry.models import ImuReading, MetricReading
from telemetry.schema import ImuRow, MetricRow
from workers.tasks import readings_write_batch, retention_apply_task

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="partitions exist on PostgreSQL only: set DATABASE_URL")


def imu_rows(sensor_id: str, *moments: datetime) -> list[ImuRow]:
    """Rows as the cold path hands them to storage: typed, in column order."""
    return [ImuRow(sensor_id, m, 0.1, 0.2, 9.81, 0.0, 0.0, 0.0, 90, -60) for m in moments]


def partition_of(table: str, **where) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE sensor_id = %s", [where["sensor_id"]])
        return cursor.fetchone()[0]


def partition_names(table: str) -> set[str]:
    """Partitions (or TimescaleDB's chunks, children of their hypertable too), named as
    `partition_of` and retention name them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.oid::regclass::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [table])
        return {name for (name,) in cursor.fetchall()}


def on_timescale() -> bool:
    return storage.storage_mode() == "timescale"


def timescale_jobs(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = %s", [table])
        return {name for (name,) in cursor.fetchall()}


@on_postgres
def test_migration_made_partitions_around_today_and_a_default(db):
    if on_timescale():
        with connection.cursor() as cursor:
            cursor.execute("SELECT hypertable_name, time_interval FROM timescaledb_information.dimensions "
                           "WHERE hypertable_name = ANY(%s)", [list(storage.TABLES)])
            assert dict(cursor.fetchall()) == {storage.IMU_TABLE: timedelta(days=1),
                                               storage.METRIC_TABLE: timedelta(days=7)}
            cursor.execute("SELECT hypertable_name, attname FROM timescaledb_information.compression_settings "
                           "WHERE segmentby_column_index IS NOT NULL ORDER BY 1, segmentby_column_index")
            assert cursor.fetchall() == [(storage.IMU_TABLE, "sensor_id"), (storage.METRIC_TABLE, "sensor_id"),
                                         (storage.METRIC_TABLE, "name")]
        for table in storage.TABLES:
            assert {"policy_compression", "policy_retention"} <= timescale_jobs(table)
        return
    today = datetime.now(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    assert storage.storage_mode() == "partitioned"
    assert {f"telemetry_imu_reading_p{today:%Y%m%d}", f"telemetry_imu_reading_p{today + timedelta(days=7):%Y%m%d}",
            "telemetry_imu_reading_default"} <= partition_names(storage.IMU_TABLE)
    assert {f"telemetry_metric_reading_p{monday:%Y%m%d}", "telemetry_metric_reading_default"} <= partition_names(
        storage.METRIC_TABLE)


@on_postgres
def test_a_reading_outside_every_partition_waits_in_default_and_moves_when_its_partition_is_made(db):
    moment = datetime(2030, 1, 10, 12, tzinfo=timezone.utc)
    storage.rows_store(table=storage.IMU_TABLE, rows=imu_rows("imu-far", moment))
    if on_timescale():  # a chunk for its day is made as it is written
        (chunk,) = [(start, end) for name, (start, end) in storage.chunks(layout=storage.TABLES[storage.IMU_TABLE]).items()
                    if name == partition_of(storage.IMU_TABLE, sensor_id="imu-far")]
        assert chunk[0] <= moment < chunk[1] and chunk[1] - chunk[0] == timedelta(days=1)
        assert storage.partitions_ensure(today=date(2030, 1, 10), days_ahead=2) == []
        return
    assert partition_of(storage.IMU_TABLE, sensor_id="imu-far") == "telemetry_imu_reading_default"

    created = storage.partitions_ensure(today=date(2030, 1, 10), days_ahead=2)

    assert {"telemetry_imu_reading_p20300109", "telemetry_imu_reading_p20300110",
            "telemetry_imu_reading_p20300112", "telemetry_metric_reading_p20300107"} <= set(created)
    assert partition_of(storage.IMU_TABLE, sensor_id="imu-far") == "telemetry_imu_reading_p20300110"
    assert storage.partitions_ensure(today=date(2030, 1, 10), days_ahead=2) == []


@on_postgres
def test_retention_drops_whole_partitions_past_the_horizon_and_keeps_recent_ones(db, settings):
    settings.TELEMETRY_RETENTION_DAYS = {**settings.TELEMETRY_RETENTION_DAYS, "imu": 30}
    now = datetime.now(timezone.utc)
    old, recent = now - timedelta(days=40), now - timedelta(hours=1)
    storage.partitions_ensure(today=old.date(), days_ahead=1)
    storage.rows_store(table=storage.IMU_TABLE, rows=imu_rows("imu-old", old))
    storage.rows_store(table=storage.IMU_TABLE, rows=imu_rows("imu-new", recent))
    old_partition = partition_of(storage.IMU_TABLE, sensor_id="imu-old")
    recent_partition = partition_of(storage.IMU_TABLE, sensor_id="imu-new")

    dropped = retention_apply_task.delay().get()

    assert old_partition in dropped
    assert old_partition not in partition_names(storage.IMU_TABLE)
    assert list(ImuReading.objects.values_list("sensor_id", flat=True)) == ["imu-new"]
    assert recent_partition in partition_names(storage.IMU_TABLE)
    if not on_timescale():
        assert f"telemetry_imu_reading_p{now.date():%Y%m%d}" in partition_names(storage.IMU_TABLE)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no partitions; PostgreSQL drops them")
def test_on_sqlite_retention_deletes_readings_past_the_horizon(db, settings):
    settings.TELEMETRY_RETENTION_DAYS = {**settings.TELEMETRY_RETENTION_DAYS, "imu": 30}
    now = datetime.now(timezone.utc)
    storage.rows_store(table=storage.IMU_TABLE, rows=imu_rows("imu-old", now - timedelta(days=31)))
    storage.rows_store(table=storage.IMU_TABLE, rows=imu_rows("imu-new", now - timedelta(days=29)))
    retention_apply_task.delay()
    assert list(ImuReading.objects.values_list("sensor_id", flat=True)) == ["imu-new"]


def test_metric_retention_is_the_longest_of_the_device_types_that_send_metrics(settings):
    settings.TELEMETRY_RETENTION_DAYS = {"imu": 7, "energy_meter": 730, "eye_tracker": 90}
    assert storage.retention_days_for(table=storage.IMU_TABLE) == 7
    assert storage.retention_days_for(table=storage.METRIC_TABLE) == 730


def test_timescale_is_used_exactly_where_the_server_can_load_it(db):
    """The migration made hypertables where TimescaleDB is installed and preloaded, native
    partitions on any other PostgreSQL (an installed but not preloaded extension would fail
    CREATE EXTENSION), plain tables on SQLite."""
    if connection.vendor != "postgresql":
        assert storage.timescale_available() is False and storage.storage_mode() == "plain"
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('shared_preload_libraries') ~ 'timescaledb', "
                       "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')")
        preloaded, installed = cursor.fetchone()
    assert storage.timescale_available() is (preloaded and installed)
    assert storage.storage_mode() == ("timescale" if preloaded and installed else "partitioned")


def test_timescale_availability_asks_for_the_extension_and_the_preloaded_library():
    assert "pg_available_extensions WHERE name = 'timescaledb'" in storage.TIMESCALE_AVAILABLE_SQL
    assert "current_setting('shared_preload_libraries')" in storage.TIMESCALE_AVAILABLE_SQL


def test_timescale_path_makes_compressed_hypertables_with_retention():
    statements = storage.timescale_sql(layout=storage.TABLES[storage.METRIC_TABLE], retention_days=730,
                                       compress_after_days=7)
    text = "\n".join(statements)
    assert statements[0] == "CREATE EXTENSION IF NOT EXISTS timescaledb"
    assert ("create_hypertable('telemetry_metric_reading', 'timestamp', "
            "chunk_time_interval => INTERVAL '7 days', migrate_data => true") in text
    assert "create_default_indexes => false" in text
    assert "timescaledb.compress_segmentby = 'sensor_id, name'" in text
    assert "add_compression_policy('telemetry_metric_reading', INTERVAL '7 days'" in text
    assert "add_retention_policy('telemetry_metric_reading', INTERVAL '730 days'" in text


def test_on_timescale_retention_drops_the_chunks_past_each_tables_horizon(db, settings):
    """What retention_apply sends to TimescaleDB (CI has none; a real one runs the tests above)."""
    settings.TELEMETRY_RETENTION_DAYS = {"imu": 30, "energy_meter": 730, "eye_tracker": 365, "environment": 365,
                                         "other": 365}
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    executed = []
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = lambda sql, params=None: executed.append((sql, params))
    cursor.__enter__.return_value.fetchall.return_value = [("_timescaledb_internal._hyper_1_3_chunk",)]
    with mock.patch.object(storage, "storage_mode", return_value="timescale"), \
            mock.patch.object(storage, "metric_types_purge", return_value=0), \
            mock.patch.object(storage, "connection") as fake_connection:
        fake_connection.cursor.return_value = cursor
        dropped = storage.retention_apply(now=now)
    assert executed == [
        ("SELECT drop_chunks('telemetry_imu_reading', older_than => %s)::text", [now - timedelta(days=30)]),
        ("SELECT drop_chunks('telemetry_metric_reading', older_than => %s)::text", [now - timedelta(days=730)])]
    assert dropped == ["_timescaledb_internal._hyper_1_3_chunk"] * 2


def test_on_timescale_chunks_are_named_as_rows_name_their_table():
    assert storage.CHUNKS_SQL.startswith("SELECT format('%%I.%%I', chunk_schema, chunk_name)::regclass::text")
    assert storage.imu_primary_key_sql(constraint="telemetry_imu_reading_pkey", include=True)[1] == (
        "ALTER TABLE telemetry_imu_reading ADD CONSTRAINT telemetry_imu_reading_pkey PRIMARY KEY "
        "(sensor_id, timestamp) INCLUDE (accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, battery_level, "
        "signal_strength)")
    assert storage.timescale_default_indexes_sql() == ["DROP INDEX IF EXISTS telemetry_imu_reading_timestamp_idx",
                                                       "DROP INDEX IF EXISTS telemetry_metric_reading_timestamp_idx"]


def test_the_migration_takes_the_timescale_path_when_the_extension_is_available(db):
    import importlib

    migration = importlib.import_module("telemetry.migrations.0002_time_partitioned_storage")
    executed = []
    fake_cursor = mock.MagicMock()
    fake_cursor.__enter__.return_value.execute.side_effect = executed.append
    editor = mock.Mock()
    editor.connection.vendor = "postgresql"
    editor.connection.cursor.return_value = fake_cursor
    with mock.patch.object(storage, "timescale_available", return_value=True), \
            mock.patch.object(storage, "partitions_ensure", return_value=[]):
        migration.partition_tables(None, editor)
    assert sum("create_hypertable" in sql for sql in executed) == 2
    assert not any("PARTITION BY" in sql for sql in executed)


def test_the_write_task_is_routed_to_the_telemetry_queue():
    route = celery_app.amqp.router.route({}, readings_write_batch.name)
    assert route["queue"].name == "telemetry"


def test_the_write_task_schedules_a_retry_when_the_database_is_away(db):
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(coldpath, "batch_write", side_effect=lost), pytest.raises(Retry) as retry:
        readings_write_batch.apply(args=[coldpath.batch_encode(coldpath.ColdBatch())])
    assert retry.value.exc is lost


def test_the_write_task_never_retries_bad_data(db):
    with mock.patch.object(coldpath, "batch_write", side_effect=DataError("value too long")) as write, \
            pytest.raises(DataError):
        readings_write_batch.apply(args=[coldpath.batch_encode(coldpath.ColdBatch())])
    assert write.call_count == 1


def test_metric_rows_round_trip_through_the_writer(db):
    moment = datetime(2026, 11, 30, 8, 0, 0, 250000, tzinfo=timezone.utc)
    row = [MetricRow("meter-1", moment, "energy_kwh", 1.5)]
    assert storage.rows_store(table=storage.METRIC_TABLE, rows=row) == 1
    storage.rows_store(table=storage.METRIC_TABLE, rows=row)
    assert list(MetricReading.objects.values_list("timestamp", "name", "value")) == [(moment, "energy_kwh", 1.5)]


def test_merged_batches_store_every_row_of_each(db):
    now = datetime.now(timezone.utc)
    first = coldpath.ColdBatch(imu=imu_rows("imu-a", now - timedelta(seconds=2)))
    second = coldpath.ColdBatch(imu=imu_rows("imu-b", now - timedelta(seconds=1), now), metrics=[])
    merged = coldpath.batches_merge([first, second, coldpath.ColdBatch()])
    assert storage.rows_store(table=storage.IMU_TABLE, rows=merged.imu) == 3
    assert sorted(ImuReading.objects.values_list("sensor_id", flat=True)) == ["imu-a", "imu-b", "imu-b"]
