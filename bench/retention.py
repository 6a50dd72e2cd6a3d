"""Retention benchmark: what the per-device-type purge inside a kept metric partition costs.

Fills one weekly metric partition 40 days back (past the IMU's 30 days, well inside the
metric table's 730) with one `battery` reading every `--interval` seconds for 100 sensors,
half IMUs and half energy meters, into a database created afresh. Then times the per-type
purge three times: the first deletes the IMUs' half (one DELETE per partition and type), the
second finds nothing due (dead rows still there), the third likewise after VACUUM. Prints
the plan of the nothing-due DELETE too.

    flock /tmp/bench.lock .venv/bin/python bench/retention.py [--interval 30]
        [--database-url postgres://postgres@127.0.0.1:5432/sensorium_bench_retention]
"""

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query import database_prepare  # noqa: E402  (bench/ is not a package)

SENSORS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sensorium_bench_retention")
    args = parser.parse_args()
    database_prepare(args.database_url)

    from django.db import connection

    from sensors.models import DeviceType, Sensor
    from telemetry import storage
    from users.models import User

    owner = User.objects.create(username="bench")
    Sensor.objects.bulk_create([
        Sensor(id=f"bench-{n:03d}", name=f"bench-{n:03d}", owner=owner, mac_address=f"02:00:00:00:00:{n:02x}",
               device_type=DeviceType.IMU if n % 2 else DeviceType.ENERGY_METER) for n in range(SENSORS)])
    now = datetime.now(timezone.utc)
    old = now - timedelta(days=40)
    storage.partitions_ensure(today=old.date(), days_ahead=0)
    start = storage.partition_start(layout=storage.TABLES[storage.METRIC_TABLE], day=old.date())
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {storage.METRIC_TABLE} (sensor_id, timestamp, name, value) "
            "SELECT 'bench-' || lpad(s::text, 3, '0'), ts, 'battery', 80 FROM generate_series(0, %s) s, "
            "generate_series(%s::timestamptz, %s::timestamptz - interval '1 second', %s * interval '1 second') ts",
            [SENSORS - 1, start.isoformat(), (start + timedelta(days=7)).isoformat(), args.interval])
        loaded = cursor.rowcount
        cursor.execute(f"VACUUM ANALYZE {storage.METRIC_TABLE}")
    print(f"loaded {loaded:,} metric rows into {storage.partition_name(layout=storage.TABLES[storage.METRIC_TABLE], start=start)}"
          f" in {time.perf_counter() - started:.1f} s")

    for label in ("due (IMUs' half goes)", "nothing due, dead rows not vacuumed yet", "nothing due, after VACUUM"):
        if label.endswith("VACUUM"):
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {storage.METRIC_TABLE}")
        started = time.perf_counter()
        purged = storage.metric_types_purge(now=now, mode=storage.storage_mode())
        print(f"purge, {label}: {purged:,} rows deleted in {(time.perf_counter() - started) * 1000:.0f} ms")
    with connection.cursor() as cursor:
        partition = storage.partition_name(layout=storage.TABLES[storage.METRIC_TABLE], start=start)
        cursor.execute("EXPLAIN " + storage.metric_type_purge_sql(table=partition),
                       ["imu", now - timedelta(days=30)])
        print("plan of the nothing-due DELETE:\n  " + "\n  ".join(row for (row,) in cursor.fetchall()))


if __name__ == "__main__":
    main()
