"""Query benchmark: is reading back fast, and does it stay fast as the table grows?

Loads IMU readings for 100 sensors by COPY into a separate database (created afresh),
newest first in two steps: first the most recent 1M rows, measured, then 9M older rows
(10M in all), measured again. Both times the last 24 h of a sensor holds the same
readings, so the 10M/1M ratio shows what table size alone costs. Timed through
telemetry.selectors, the code the API runs:

- latest: the newest reading of a random sensor (target p50 < 2 ms)
- 24h/1m: one sensor's last 24 h in 1-minute buckets (target p50 < 50 ms); 10M/1M < 1.5

    .venv/bin/python bench/query.py [--rows 10000000] [--interval 10]
        [--database-url postgres://postgres@127.0.0.1:5432/sensorium_bench_query]

`--interval` is the seconds between one sensor's readings (10 s: 8,640 readings per
sensor per 24 h; 1 s: 86,400). Prints one table; paste it into bench/RESULTS.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENSORS = 100
COPY_COLUMNS = "sensor_id, timestamp, accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, battery_level, signal_strength"


def database_prepare(url: str) -> None:
    """Drop and create the bench database, then migrate it (partitioned tables)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sensors_create() -> list[str]:
    from sensors.models import Sensor
    from users.models import User

    owner = User.objects.create(username="bench")
    ids = [f"bench-{n:03d}" for n in range(SENSORS)]
    Sensor.objects.bulk_create([Sensor(id=sensor_id, name=sensor_id, owner=owner) for sensor_id in ids])
    return ids


def partitions_cover(*, first: datetime, last: datetime) -> None:
    """Daily partitions for every loaded day, so no reading waits in the DEFAULT partition."""
    from telemetry.storage import partitions_ensure

    day = first.date()
    while day <= last.date() + timedelta(days=1):
        partitions_ensure(today=day, days_ahead=1)
        day += timedelta(days=1)


def copy_load(*, sensor_ids: list[str], newest: datetime, interval: int, steps: range) -> int:
    """COPY one row per sensor per time step, steps counted back from `newest`, written in
    time order (all sensors interleaved, as a live fleet arrives)."""
    from django.db import connection

    values = [f"{0.01 * n:.2f},{-0.02 * n:.2f},9.81,{0.1 * n:.1f},0.0,-0.3,{50 + n},{-40 - n}" for n in range(40)]
    rows = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY telemetry_imu_reading ({COPY_COLUMNS}) FROM STDIN WITH (FORMAT text, DELIMITER ',')") as copy:
            lines = []
            for step in sorted(steps, reverse=True):
                stamp = (newest - timedelta(seconds=step * interval)).isoformat()
                lines.extend(f"{sensor_id},{stamp},{values[(step + n) % 40]}\n" for n, sensor_id in enumerate(sensor_ids))
                if len(lines) >= 50_000:
                    copy.write("".join(lines))
                    rows += len(lines)
                    lines = []
            copy.write("".join(lines))
            rows += len(lines)
    return rows


def analyse() -> tuple[int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE telemetry_imu_reading")
        cursor.execute("SELECT count(*) FROM telemetry_imu_reading")
        count = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i "
                       "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                       "WHERE p.relname = 'telemetry_imu_reading'")
        size = cursor.fetchone()[0]
    return count, size


def timed(function, repeat: int) -> list[float]:
    function()  # warm the plan and the cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(*, sensor_ids: list[str], newest: datetime, interval: int, repeat_latest: int,
            repeat_range: int) -> dict[str, float]:
    from telemetry import selectors

    rng = random.Random(7)

    def latest():
        reading = selectors.reading_latest(sensor_id=rng.choice(sensor_ids), kind="imu")
        assert reading is not None

    def day_in_minutes():
        query = selectors.ReadingQuery(sensor_id=rng.choice(sensor_ids), kind="imu", start=newest - timedelta(hours=24),
                                       end=newest + timedelta(seconds=1), bucket="1m", limit=2000, order="oldest")
        page = selectors.readings_page(query=query)
        assert len(page.rows) >= min(1440, 24 * 3600 // interval), len(page.rows)

    latest_ms = timed(latest, repeat_latest)
    range_ms = timed(day_in_minutes, repeat_range)
    return {"latest_p50": statistics.median(latest_ms), "latest_p99": sorted(latest_ms)[int(0.99 * len(latest_ms)) - 1],
            "range_p50": statistics.median(range_ms), "range_max": max(range_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--interval", type=int, default=10, help="seconds between one sensor's readings")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sensorium_bench_query")
    parser.add_argument("--repeat", type=int, default=200, help="latest queries per measurement (range: a tenth)")
    args = parser.parse_args()

    database_prepare(args.database_url)
    sensor_ids = sensors_create()
    newest = datetime.now(timezone.utc).replace(microsecond=0)
    steps_total = args.rows // SENSORS
    steps_small = steps_total // 10
    oldest = newest - timedelta(seconds=(steps_total - 1) * args.interval)
    if steps_small * args.interval < 24 * 3600:
        sys.exit(f"--interval {args.interval}: the first tenth ({steps_small} steps) must span 24 h; use a larger interval or more rows")
    partitions_cover(first=oldest, last=newest)

    print(f"{'rows':>11} {'size':>9} {'load s':>7} {'latest p50':>11} {'latest p99':>11} {'24h/1m p50':>11} {'24h/1m max':>11}")
    results = {}
    for label, steps in (("tenth", range(0, steps_small)), ("all", range(steps_small, steps_total))):
        started = time.perf_counter()
        copy_load(sensor_ids=sensor_ids, newest=newest, interval=args.interval, steps=steps)
        load_s = time.perf_counter() - started
        count, size = analyse()
        figures = measure(sensor_ids=sensor_ids, newest=newest, interval=args.interval, repeat_latest=args.repeat,
                          repeat_range=max(10, args.repeat // 10))
        results[label] = figures
        print(f"{count:>11,} {size:>9} {load_s:>7.1f} {figures['latest_p50']:>9.2f}ms {figures['latest_p99']:>9.2f}ms "
              f"{figures['range_p50']:>9.1f}ms {figures['range_max']:>9.1f}ms", flush=True)
    ratio = results["all"]["range_p50"] / results["tenth"]["range_p50"]
    print(f"24h/1m all/tenth (10M/1M at the default size) ratio: {ratio:.2f} (target < 1.5); readings per sensor in the 24 h window: "
          f"{24 * 3600 // args.interval:,}")


if __name__ == "__main__":
    main()
