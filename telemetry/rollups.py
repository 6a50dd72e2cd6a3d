"""Writes of the hourly rollup behind daily totals: its TimescaleDB DDL and its refresh.
Reads are in telemetry/daily_totals.py (a local day is the sum of its hours).

Plain PostgreSQL and SQLite: the `telemetry_hourly_total` table, rebuilt by a beat task
for the last few UTC days before "today" (so late readings within that window are counted)
and a watermark saying which days are complete. TimescaleDB: a continuous aggregate of
hours with real-time aggregation, which TimescaleDB refreshes itself.
"""

from datetime import date, datetime, timedelta, timezone

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncHour

from telemetry.daily_totals import CONTINUOUS_AGGREGATE, HOURLY_ROLLUP, rollup_metric_names
from telemetry.models import HourlyTotal, MetricReading, RollupWatermark
from telemetry.storage import timescale_installed
from telemetry.timeseries import day_start

OLD_CONTINUOUS_AGGREGATE = "telemetry_daily_total_cagg"  # per UTC day, before migration 0007


def continuous_aggregate_sql(*, names: tuple[str, ...], refresh_start_days: int) -> list[str]:
    """The TimescaleDB continuous aggregate of hourly totals. Real-time aggregation
    (materialized_only = false) adds the not-yet-materialised tail, so today is complete."""
    in_list = ", ".join(f"'{name}'" for name in names)
    return [
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {CONTINUOUS_AGGREGATE} "
        "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
        "SELECT sensor_id, name, time_bucket(INTERVAL '1 hour', timestamp) AS hour, "
        "sum(value) AS total, count(*) AS readings "
        f"FROM telemetry_metric_reading WHERE name IN ({in_list}) "
        "GROUP BY sensor_id, name, time_bucket(INTERVAL '1 hour', timestamp) WITH NO DATA",
        f"SELECT add_continuous_aggregate_policy('{CONTINUOUS_AGGREGATE}', "
        f"start_offset => INTERVAL '{int(refresh_start_days)} days', end_offset => INTERVAL '1 hour', "
        "schedule_interval => INTERVAL '15 minutes', if_not_exists => true)",
    ]


def continuous_aggregate_install(*, connection) -> None:
    """Migrations: on TimescaleDB, (re)create the continuous aggregate of hours (dropping the
    per-UTC-day one that came before it); elsewhere the rollup table is used instead."""
    if not timescale_installed(db=connection, cached=False):
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP MATERIALIZED VIEW IF EXISTS {OLD_CONTINUOUS_AGGREGATE}")
        for statement in continuous_aggregate_sql(
                names=rollup_metric_names(), refresh_start_days=settings.TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS + 1):
            cursor.execute(statement)


def daily_totals_refresh(*, today: date | None = None, lookback_days: int | None = None) -> int:
    """Rebuild the hourly totals of the `lookback_days` UTC days before today (all days, the
    first time) and move the watermark to today. Idempotent: a day's rows are replaced,
    never added to. Returns the number of (sensor, metric, hour) rows written."""
    if timescale_installed():
        return 0  # the continuous aggregate's policy refreshes it
    today = today or datetime.now(timezone.utc).date()
    lookback_days = settings.TELEMETRY_DAILY_TOTAL_LOOKBACK_DAYS if lookback_days is None else lookback_days
    names = rollup_metric_names()
    watermark = RollupWatermark.objects.filter(rollup=HOURLY_ROLLUP).first()
    if watermark is None:
        earliest = MetricReading.objects.filter(name__in=names).aggregate(first=Min("timestamp"))["first"]
        first_day = earliest.date() if earliest else today
    else:
        first_day = min(watermark.through, today) - timedelta(days=lookback_days)
    now = datetime.now(timezone.utc)
    sums = (MetricReading.objects
            .filter(name__in=names, timestamp__gte=day_start(first_day), timestamp__lt=day_start(today))
            .annotate(hour=TruncHour("timestamp", tzinfo=timezone.utc))
            .values("sensor_id", "name", "hour").annotate(total=Sum("value"), readings=Count("*")).order_by())
    rows = [HourlyTotal(sensor_id=row["sensor_id"], name=row["name"], hour=row["hour"], total=row["total"],
                        readings=row["readings"], refreshed_at=now) for row in sums]
    with transaction.atomic():
        HourlyTotal.objects.filter(name__in=names, hour__gte=day_start(first_day), hour__lt=day_start(today)).delete()
        HourlyTotal.objects.bulk_create(rows, batch_size=1000)
        RollupWatermark.objects.update_or_create(rollup=HOURLY_ROLLUP,
                                                 defaults={"through": today, "refreshed_at": now})
    return len(rows)

