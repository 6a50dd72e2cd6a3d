"""Where readings live, per database: the only module that knows the storage layout.

- PostgreSQL with TimescaleDB available: hypertables (daily IMU chunks, weekly metric
  chunks), compression and a retention policy.
- Plain PostgreSQL: natively range-partitioned tables (daily IMU, weekly metric
  partitions) plus a DEFAULT partition, so a reading is never refused for its date.
  `partitions_ensure` creates partitions ahead of need; `retention_apply` drops whole
  partitions once every device type stored in them is past its retention, and deletes
  (one set-based DELETE per partition and type) the metric readings of device types kept
  shorter than that.
- SQLite (embedded): the plain tables of the models, same unique keys.

Writes arrive as typed rows (telemetry.schema ImuRow / MetricRow, fields in column order)
from the cold path (telemetry/coldpath.py) and go into binary COPY (psycopg packs each
value in C).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import msgspec
import psycopg
from django.conf import settings
from django.db import connection, transaction
from msgspec.structs import astuple

from sensors.models import Sensor
from telemetry.models import MetricReading

logger = logging.getLogger(__name__)

IMU_TABLE = "telemetry_imu_reading"
METRIC_TABLE = "telemetry_metric_reading"
IMU_COLUMNS = ("sensor_id", "timestamp", "accel_x", "accel_y", "accel_z",
               "gyro_x", "gyro_y", "gyro_z", "battery_level", "signal_strength")
METRIC_COLUMNS = ("sensor_id", "timestamp", "name", "value")


@dataclass(frozen=True)
class TableLayout:
    table: str
    columns: tuple[str, ...]
    partition_days: int  # 1 = daily, 7 = weekly (weeks start on Monday)
    chunk_interval: str  # TimescaleDB chunk_time_interval
    copy_types: tuple[str, ...]  # PostgreSQL type of each column, for binary COPY


TABLES = {
    IMU_TABLE: TableLayout(IMU_TABLE, IMU_COLUMNS, 1, "1 day",
                           ("varchar", "timestamptz", *["float8"] * 6, "int2", "int2")),
    METRIC_TABLE: TableLayout(METRIC_TABLE, METRIC_COLUMNS, 7, "7 days", ("varchar", "timestamptz", "varchar", "float8")),
}


# --- Writing ------------------------------------------------------------------------

def _copy_sql(layout: TableLayout) -> str:
    return f"COPY {{table}} ({', '.join(layout.columns)}) FROM STDIN (FORMAT BINARY)"


def _copy_rows(raw, table: str, layout: TableLayout, rows: list[msgspec.Struct]) -> None:
    # Binary COPY: psycopg packs each typed value in C (no text formatting of timestamps).
    with raw.copy(_copy_sql(layout).format(table=table)) as copy:
        copy.set_types(layout.copy_types)
        write_row = copy.write_row
        for row in rows:
            write_row(astuple(row))


def _postgres_copy(*, layout: TableLayout, rows: list[msgspec.Struct]) -> None:
    """COPY straight into the table; if any row is already stored (a redelivered or
    repeated batch), roll back to the savepoint and go through a staging table with
    ON CONFLICT DO NOTHING instead."""
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        try:
            with transaction.atomic():
                _copy_rows(raw, layout.table, layout, rows)
            return
        except psycopg.errors.UniqueViolation:
            pass
        staging = f"{layout.table}_staging"
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
                    f"(LIKE {layout.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        raw.execute(f"TRUNCATE {staging}")
        _copy_rows(raw, staging, layout, rows)
        columns = ", ".join(layout.columns)
        raw.execute(f"INSERT INTO {layout.table} ({columns}) SELECT {columns} FROM {staging} "
                    f"ON CONFLICT DO NOTHING")


def _sqlite_insert(*, layout: TableLayout, rows: list[msgspec.Struct]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    values = []
    for row in rows:
        value = list(astuple(row))
        value[1] = adapt(value[1])
        values.append(value)
    placeholders = ", ".join("%s" for _ in layout.columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT OR IGNORE INTO {layout.table} ({', '.join(layout.columns)}) "
                           f"VALUES ({placeholders})", values)


def rows_store(*, table: str, rows: list[msgspec.Struct]) -> int:
    """Store typed rows (telemetry.schema ImuRow / MetricRow, fields in column order) in
    `table`, skipping rows already stored (idempotent). Returns how many rows it was given."""
    if not rows:
        return 0
    layout = TABLES[table]
    if connection.vendor == "postgresql":
        _postgres_copy(layout=layout, rows=rows)
    else:
        _sqlite_insert(layout=layout, rows=rows)
    return len(rows)


# --- Partitions, chunks and retention --------------------------------------------------

TIMESCALE_AVAILABLE_SQL = (
    "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb' "
    "AND 'timescaledb' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))")


def timescale_available() -> bool:
    """TimescaleDB can be used: PostgreSQL, the extension is installed on the server and the
    server preloads its library (without that, CREATE EXTENSION fails: plain partitions then)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(TIMESCALE_AVAILABLE_SQL)
        return cursor.fetchone() is not None


_timescale_by_database: dict[str, bool] = {}


def timescale_installed(*, db=connection, cached: bool = True) -> bool:
    """Whether the database has the TimescaleDB extension: the one detection every module
    asks (remembered per database; `cached=False` asks again, as migrations must)."""
    if db.vendor != "postgresql":
        return False
    key = db.settings_dict["NAME"]
    if not cached or key not in _timescale_by_database:
        with db.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
            _timescale_by_database[key] = cursor.fetchone() is not None
    return _timescale_by_database[key]


def storage_mode() -> str:
    """'timescale', 'partitioned' or 'plain': what the tables actually are now."""
    if connection.vendor != "postgresql":
        return "plain"
    if timescale_installed(cached=False):
        return "timescale"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                       "WHERE c.relname = %s", [IMU_TABLE])
        return "partitioned" if cursor.fetchone() else "plain"


def partition_start(*, layout: TableLayout, day: date) -> date:
    if layout.partition_days == 7:
        return day - timedelta(days=day.weekday())
    return day


def partition_name(*, layout: TableLayout, start: date) -> str:
    return f"{layout.table}_p{start:%Y%m%d}"


def _bound(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).isoformat()


def partitioned_tables_sql(*, layout: TableLayout) -> list[str]:
    """Turn the model's plain table into a range-partitioned one with a DEFAULT partition,
    keeping its rows (they land in the default partition until partitions_ensure moves
    them into their own)."""
    old = f"{layout.table}_unpartitioned"
    key = "sensor_id, timestamp, name" if layout.table == METRIC_TABLE else "sensor_id, timestamp"
    columns = ", ".join(layout.columns)
    statements = [
        f"ALTER TABLE {layout.table} RENAME TO {old}",
        f"CREATE TABLE {layout.table} (LIKE {old} INCLUDING DEFAULTS INCLUDING STORAGE, "
        f"PRIMARY KEY ({key})) PARTITION BY RANGE (timestamp)",
        f"CREATE TABLE {layout.table}_default PARTITION OF {layout.table} DEFAULT",
        f"INSERT INTO {layout.table} ({columns}) SELECT {columns} FROM {old}",
        f"DROP TABLE {old}",
        f"ALTER INDEX {layout.table}_pkey1 RENAME TO {layout.table}_pkey",
    ]
    if layout.table == METRIC_TABLE:
        statements.append(f"CREATE INDEX metric_sensor_name_time ON {layout.table} (sensor_id, name, timestamp)")
    return statements


def timescale_sql(*, layout: TableLayout, retention_days: int, compress_after_days: int) -> list[str]:
    """Hypertable with compression and a retention policy (only where the extension exists)."""
    segment = "sensor_id, name" if layout.table == METRIC_TABLE else "sensor_id"
    return [
        "CREATE EXTENSION IF NOT EXISTS timescaledb",
        f"SELECT create_hypertable('{layout.table}', 'timestamp', "
        f"chunk_time_interval => INTERVAL '{layout.chunk_interval}', migrate_data => true, if_not_exists => true, "
        "create_default_indexes => false)",
        f"ALTER TABLE {layout.table} SET (timescaledb.compress, "
        f"timescaledb.compress_segmentby = '{segment}', timescaledb.compress_orderby = 'timestamp DESC')",
        f"SELECT add_compression_policy('{layout.table}', INTERVAL '{compress_after_days} days', if_not_exists => true)",
        f"SELECT add_retention_policy('{layout.table}', INTERVAL '{retention_days} days', if_not_exists => true)",
    ]


def _partitions(*, cursor, layout: TableLayout) -> dict[str, tuple[datetime, datetime]]:
    """Existing range partitions (not the default) with their bounds, named as
    `tableoid::regclass` names them (schema-qualified outside the search path)."""
    cursor.execute(
        "SELECT c.oid::regclass::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = %s", [layout.table])
    bounds = {}
    for name, expression in cursor.fetchall():
        if expression == "DEFAULT":
            continue
        start, end = (part.split("'")[1] for part in expression.split(" TO "))
        bounds[name] = (datetime.fromisoformat(start), datetime.fromisoformat(end))
    return bounds


IMU_VALUE_COLUMNS = IMU_COLUMNS[2:]


def imu_primary_key_sql(*, constraint: str, include: bool) -> list[str]:
    """The IMU primary key (sensor_id, timestamp), carrying the value columns as INCLUDE
    columns or not: with them, "one sensor, last 24 h" is an index-only scan (plain and
    partitioned PostgreSQL, and TimescaleDB's uncompressed chunks alike)."""
    including = f" INCLUDE ({', '.join(IMU_VALUE_COLUMNS)})" if include else ""
    return [f"ALTER TABLE {IMU_TABLE} DROP CONSTRAINT {constraint}",
            f"ALTER TABLE {IMU_TABLE} ADD CONSTRAINT {constraint} PRIMARY KEY (sensor_id, timestamp){including}"]


def imu_primary_key_rebuild(*, db, include: bool) -> bool:
    """Make the IMU primary key covering (or not), unless it already is; True if rebuilt."""
    with db.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'p'", [IMU_TABLE])
        constraint, definition = cursor.fetchone()
        if ("INCLUDE" in definition) == include:
            return False
        for statement in imu_primary_key_sql(constraint=constraint, include=include):
            cursor.execute(statement)
    return True


def timescale_default_indexes_sql() -> list[str]:
    """create_hypertable's default index on time alone, which no query here reads (they go by
    sensor) and every row paid for: hypertables made by migration 0002 before it passed
    create_default_indexes => false."""
    return [f"DROP INDEX IF EXISTS {table}_timestamp_idx" for table in TABLES]


CHUNKS_SQL = ("SELECT format('%%I.%%I', chunk_schema, chunk_name)::regclass::text, range_start, range_end "
              "FROM timescaledb_information.chunks WHERE hypertable_name = %s ORDER BY range_start")


def chunks(*, layout: TableLayout) -> dict[str, tuple[datetime, datetime]]:
    """TimescaleDB: the hypertable's chunks with their time ranges, named like partitions."""
    with connection.cursor() as cursor:
        cursor.execute(CHUNKS_SQL, [layout.table])
        return {name: (start, end) for name, start, end in cursor.fetchall()}


def chunks_drop_sql(*, layout: TableLayout) -> str:
    """Drop the chunks that end before an instant (the one parameter); returns their names."""
    return f"SELECT drop_chunks('{layout.table}', older_than => %s)::text"


def partitions_ensure(*, today: date | None = None, days_ahead: int | None = None) -> list[str]:
    """Create the partitions from yesterday to `days_ahead` ahead for every reading
    table; rows waiting in the DEFAULT partition for a new range move into it.
    Returns the names created. A no-op unless the tables are natively partitioned."""
    if storage_mode() != "partitioned":
        return []
    today = today or datetime.now(timezone.utc).date()
    days_ahead = settings.TELEMETRY_PARTITIONS_AHEAD_DAYS if days_ahead is None else days_ahead
    created = []
    for layout in TABLES.values():
        with transaction.atomic(), connection.cursor() as cursor:
            existing = _partitions(cursor=cursor, layout=layout)
            start = partition_start(layout=layout, day=today - timedelta(days=1))
            while start <= today + timedelta(days=days_ahead):
                name = partition_name(layout=layout, start=start)
                end = start + timedelta(days=layout.partition_days)
                if name not in existing:
                    _partition_create(cursor=cursor, layout=layout, name=name, start=start, end=end)
                    created.append(name)
                start = end
    if created:
        logger.info("Created partitions %s", ", ".join(created))
    return created


def _partition_create(*, cursor, layout: TableLayout, name: str, start: date, end: date) -> None:
    # ATTACH checks the default partition holds no row of the new range: move them first.
    default = f"{layout.table}_default"
    cursor.execute(f"CREATE TABLE {name} (LIKE {layout.table} INCLUDING DEFAULTS INCLUDING STORAGE)")
    cursor.execute(f"WITH moved AS (DELETE FROM {default} WHERE timestamp >= %s AND timestamp < %s RETURNING *) "
                   f"INSERT INTO {name} SELECT * FROM moved", [_bound(start), _bound(end)])
    cursor.execute(f"ALTER TABLE {layout.table} ATTACH PARTITION {name} "
                   f"FOR VALUES FROM ('{_bound(start)}') TO ('{_bound(end)}')")


def retention_days_for(*, table: str) -> int:
    """A table's horizon: the longest retention of the device types whose readings it
    holds (motion readings come from IMUs; every other type sends metrics). Whole
    partitions (chunks) are dropped past it."""
    retention = settings.TELEMETRY_RETENTION_DAYS
    if table == IMU_TABLE:
        return retention["imu"]
    return max(days for device_type, days in retention.items() if device_type != "imu")


def metric_cutoffs(*, now: datetime) -> dict[str, datetime]:
    """Device types kept shorter than the metric table's horizon, each with the instant
    before which its metric readings go."""
    horizon = retention_days_for(table=METRIC_TABLE)
    return {device_type: now - timedelta(days=days)
            for device_type, days in settings.TELEMETRY_RETENTION_DAYS.items() if days < horizon}


def metric_type_purge_sql(*, table: str) -> str:
    """One set-based DELETE of a device type's metric readings older than an instant
    (parameters: device type, instant), bounded to `table`: a partition, or the hypertable,
    where the time predicate excludes the newer chunks. The primary key (sensor_id,
    timestamp, name) serves it per sensor, so a run with nothing due only probes the index."""
    return (f"DELETE FROM {table} p USING {Sensor._meta.db_table} s "
            f"WHERE s.id = p.sensor_id AND s.device_type = %s AND p.timestamp < %s")


def _partitions_drop(*, cursor, layout: TableLayout, cutoff: datetime) -> list[str]:
    """Drop the partitions that ended before `cutoff` (detached first, so readers never
    wait on the drop)."""
    dropped = []
    for name, (_, end) in sorted(_partitions(cursor=cursor, layout=layout).items()):
        if end <= cutoff:
            cursor.execute(f"ALTER TABLE {layout.table} DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    # Stragglers outside every partition's range wait in the default partition.
    cursor.execute(f"DELETE FROM {layout.table}_default WHERE timestamp < %s", [cutoff])
    return dropped


def metric_types_purge(*, now: datetime, mode: str) -> int:
    """Delete the metric readings of device types kept shorter than the table's horizon
    (an IMU's battery, say, kept 30 days in a table kept 730): one DELETE per device type
    and partition that starts before the type's cutoff (on TimescaleDB, per type on the
    hypertable). Returns how many rows went."""
    cutoffs = metric_cutoffs(now=now)
    if not cutoffs:
        return 0
    if mode == "plain":
        return sum(MetricReading.objects.filter(
            timestamp__lt=cutoff, sensor_id__in=Sensor.objects.filter(device_type=device_type).values("id"),
        ).delete()[0] for device_type, cutoff in cutoffs.items())
    deleted = 0
    with connection.cursor() as cursor:
        if mode == "timescale":
            starts: dict[str, datetime | None] = {METRIC_TABLE: None}
        else:
            partitions = _partitions(cursor=cursor, layout=TABLES[METRIC_TABLE])
            starts = {name: start for name, (start, _) in partitions.items()} | {f"{METRIC_TABLE}_default": None}
        for device_type, cutoff in cutoffs.items():
            for name, start in sorted(starts.items()):
                if start is not None and start >= cutoff:
                    continue  # nothing in it is old enough yet
                cursor.execute(metric_type_purge_sql(table=name), [device_type, cutoff])
                deleted += cursor.rowcount
    return deleted


def retention_apply(*, now: datetime | None = None) -> list[str]:
    """Apply retention to the reading tables: whole partitions past their table's horizon
    are dropped; inside the partitions kept, metric readings of device types with a
    shorter retention are deleted set-wise (`metric_types_purge`). On TimescaleDB the
    chunks past the horizon are dropped here too (`drop_chunks`, as the retention policy
    would at its next run); SQLite (and unpartitioned PostgreSQL) deletes rows past the
    horizon instead. Returns the partitions or chunks dropped."""
    now = now or datetime.now(timezone.utc)
    mode = storage_mode()
    dropped: list[str] = []
    for layout in TABLES.values():
        cutoff = now - timedelta(days=retention_days_for(table=layout.table))
        if mode == "partitioned":
            with connection.cursor() as cursor:
                dropped += _partitions_drop(cursor=cursor, layout=layout, cutoff=cutoff)
        elif mode == "timescale":
            with connection.cursor() as cursor:
                cursor.execute(chunks_drop_sql(layout=layout), [cutoff])
                dropped += [name for (name,) in cursor.fetchall()]
        elif mode == "plain":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {layout.table} WHERE timestamp < %s",
                               [connection.ops.adapt_datetimefield_value(cutoff)])
    purged = metric_types_purge(now=now, mode=mode)
    if dropped:
        logger.info("Retention dropped partitions %s", ", ".join(dropped))
    if purged:
        logger.info("Retention deleted %d metric readings of device types kept shorter than the table", purged)
    return dropped
