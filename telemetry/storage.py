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

Writes arrive as a `StorageBatch`: rows as compact JSON arrays in column order, encoded
in C at ingest and streamed by the worker into COPY (psycopg formats each row in C).
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import msgspec
from django.conf import settings
from django.db import connection, transaction

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


TABLES = {
    IMU_TABLE: TableLayout(IMU_TABLE, IMU_COLUMNS, 1, "1 day"),
    METRIC_TABLE: TableLayout(METRIC_TABLE, METRIC_COLUMNS, 7, "7 days"),
}


# --- The batch handed from ingest to the writer --------------------------------------

@dataclass
class StorageBatch:
    """A validated batch in the form the broker carries (JSON-safe, compact).

    `imu` and `metrics` are JSON arrays of rows, each row an array in the column order above.
    `sensors` holds one [sensor_id, last_seen ISO, battery | None, signal | None] per
    sensor, so sensor state is updated once per batch.
    """

    imu: str = ""
    metrics: str = ""
    sensors: list[list[Any]] | None = None
    source: str = ""
    blinks: list[list[Any]] | None = None  # blink records, rows of telemetry.blink.wire.blinks_encode

    def as_message(self) -> dict[str, Any]:
        return {"imu": self.imu, "metrics": self.metrics, "sensors": self.sensors or [], "source": self.source,
                "blinks": self.blinks or []}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "StorageBatch":
        return cls(imu=message.get("imu", ""), metrics=message.get("metrics", ""),
                   sensors=message.get("sensors") or [], source=message.get("source", ""),
                   blinks=message.get("blinks") or [])

    def counts(self) -> dict[str, int]:
        return {"imu": len(rows_decode(self.imu)), "metrics": len(rows_decode(self.metrics)),
                "blinks": len(self.blinks or [])}

    @classmethod
    def merged(cls, batches: list["StorageBatch"]) -> "StorageBatch":
        """One batch holding several (rows stored once each: the writer skips duplicates)."""
        if len(batches) == 1:
            return batches[0]
        newest: dict[str, list[Any]] = {}
        for state in (state for batch in batches for state in batch.sensors or []):
            # [sensor_id, last_seen ISO, battery, signal]; battery and signal from the newest that has them
            kept = newest.get(state[0])
            if kept is None:
                newest[state[0]] = list(state)
                continue
            later, earlier = (state, kept) if state[1] >= kept[1] else (kept, state)
            newest[state[0]] = [later[0], later[1], later[2] if later[2] is not None else earlier[2],
                                later[3] if later[3] is not None else earlier[3]]
        sources = sorted({batch.source for batch in batches})
        return cls(imu=rows_concat([batch.imu for batch in batches]),
                   metrics=rows_concat([batch.metrics for batch in batches]),
                   blinks=[row for batch in batches for row in batch.blinks or []],
                   sensors=list(newest.values()), source=",".join(sources))


def rows_concat(texts: list[str]) -> str:
    """One JSON array of rows from several (each `[[...],...]` or empty), without decoding."""
    inner = [text[1:-1] for text in texts if text and text != "[]"]
    return f"[{','.join(inner)}]" if inner else ""


def rows_decode(rows: str) -> list[list[Any]]:
    return msgspec.json.decode(rows) if rows else []


# --- Writing ------------------------------------------------------------------------

def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def _copy_rows(raw, table: str, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
    with raw.copy(_copy_sql(table, columns)) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _postgres_copy(*, layout: TableLayout, rows: list[list[Any]]) -> None:
    """COPY straight into the table; if any row is already stored (a redelivered or
    repeated batch), roll back to the savepoint and go through a staging table with
    ON CONFLICT DO NOTHING instead."""
    import psycopg

    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        try:
            with transaction.atomic():
                _copy_rows(raw, layout.table, layout.columns, rows)
            return
        except psycopg.errors.UniqueViolation:
            pass
        staging = f"{layout.table}_staging"
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} "
                    f"(LIKE {layout.table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        raw.execute(f"TRUNCATE {staging}")
        _copy_rows(raw, staging, layout.columns, rows)
        columns = ", ".join(layout.columns)
        raw.execute(f"INSERT INTO {layout.table} ({columns}) SELECT {columns} FROM {staging} "
                    f"ON CONFLICT DO NOTHING")


def _sqlite_insert(*, layout: TableLayout, rows: list[list[Any]]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    for row in rows:
        row[1] = adapt(datetime.fromisoformat(row[1]))
    placeholders = ", ".join("%s" for _ in layout.columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT OR IGNORE INTO {layout.table} ({', '.join(layout.columns)}) "
                           f"VALUES ({placeholders})", rows)


def rows_store(*, table: str, rows: str) -> int:
    """Store rows (a JSON array of rows) in `table`, skipping rows already stored
    (idempotent). Returns how many rows the batch held."""
    decoded = rows_decode(rows)
    if not decoded:
        return 0
    layout = TABLES[table]
    if connection.vendor == "postgresql":
        _postgres_copy(layout=layout, rows=decoded)
    else:
        _sqlite_insert(layout=layout, rows=decoded)
    return len(decoded)


# --- Partitions and retention (PostgreSQL without TimescaleDB) ------------------------

def timescale_available() -> bool:
    """TimescaleDB can be used: PostgreSQL, and the extension is installable here."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
        return cursor.fetchone() is not None


def storage_mode() -> str:
    """'timescale', 'partitioned' or 'plain': what the tables actually are now."""
    if connection.vendor != "postgresql":
        return "plain"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        if cursor.fetchone():
            return "timescale"
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
        f"chunk_time_interval => INTERVAL '{layout.chunk_interval}', migrate_data => true, if_not_exists => true)",
        f"ALTER TABLE {layout.table} SET (timescaledb.compress, "
        f"timescaledb.compress_segmentby = '{segment}', timescaledb.compress_orderby = 'timestamp DESC')",
        f"SELECT add_compression_policy('{layout.table}', INTERVAL '{compress_after_days} days', if_not_exists => true)",
        f"SELECT add_retention_policy('{layout.table}', INTERVAL '{retention_days} days', if_not_exists => true)",
    ]


def _partitions(*, cursor, layout: TableLayout) -> dict[str, tuple[datetime, datetime]]:
    """Existing range partitions (not the default) with their bounds."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = %s", [layout.table])
    bounds = {}
    for name, expression in cursor.fetchall():
        if expression == "DEFAULT":
            continue
        start, end = (part.split("'")[1] for part in expression.split(" TO "))
        bounds[name] = (datetime.fromisoformat(start), datetime.fromisoformat(end))
    return bounds


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
    from sensors.models import Sensor

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
        from sensors.models import Sensor
        from telemetry.models import MetricReading

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
    migration's retention policy drops chunks; SQLite (and unpartitioned PostgreSQL)
    deletes rows past the horizon instead. Returns the partitions dropped."""
    now = now or datetime.now(timezone.utc)
    mode = storage_mode()
    dropped: list[str] = []
    for layout in TABLES.values():
        cutoff = now - timedelta(days=retention_days_for(table=layout.table))
        if mode == "partitioned":
            with connection.cursor() as cursor:
                dropped += _partitions_drop(cursor=cursor, layout=layout, cutoff=cutoff)
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
