"""Writes of the hourly rollup behind daily totals: its refresh. Reads are in
telemetry/daily_totals.py (a local day is the sum of its hours).

Every backend (SQLite, PostgreSQL, TimescaleDB): the `telemetry_hourly_total` table, rebuilt
by a beat task for the last few UTC days before "today" (so late readings within that window
are counted) and a watermark saying which days are complete.
"""

from datetime import date, datetime, timedelta, timezone

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncHour

from telemetry.daily_totals import HOURLY_ROLLUP, rollup_metric_names
from telemetry.models import HourlyTotal, MetricReading, RollupWatermark
from telemetry.storage import timescale_installed
from telemetry.timeseries import day_start

# TimescaleDB continuous aggregates earlier migrations made (per UTC day, then per hour).
# Daily totals now read the rollup table on every backend: the same refresh, the same
# answers and the same tests on SQLite, PostgreSQL and TimescaleDB (a continuous aggregate
# refreshes only outside a transaction, by policy, and hid rollup rows the tests check).
RETIRED_CONTINUOUS_AGGREGATES = ("telemetry_daily_total_cagg", "telemetry_hourly_total_cagg")


def continuous_aggregates_drop_sql() -> list[str]:
    return [f"DROP MATERIALIZED VIEW IF EXISTS {name}" for name in RETIRED_CONTINUOUS_AGGREGATES]


def continuous_aggregates_drop(*, connection) -> None:
    """Migrations: remove the continuous aggregates of earlier versions, where TimescaleDB is."""
    if not timescale_installed(db=connection, cached=False):
        return
    with connection.cursor() as cursor:
        for statement in continuous_aggregates_drop_sql():
            cursor.execute(statement)


def daily_totals_refresh(*, today: date | None = None, lookback_days: int | None = None) -> int:
    """Rebuild the hourly totals of the `lookback_days` UTC days before today (all days, the
    first time) and move the watermark to today. Idempotent: a day's rows are replaced,
    never added to. Returns the number of (sensor, metric, hour) rows written."""
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

