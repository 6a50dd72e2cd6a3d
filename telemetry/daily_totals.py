"""Reads of daily totals (energy_kwh first), in any time zone: a local day is the sum of its
hours, materialised by the hourly rollup for past days and summed live for today.

The rollup's tables and names are defined here, beside the one query that reads them;
telemetry/rollups.py creates and refreshes them.
"""

from datetime import date, datetime, timedelta, timezone, tzinfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from telemetry.models import HourlyTotal, MetricReading, RollupWatermark
from telemetry.schema import METRIC_NAME_PATTERN
from telemetry.timeseries import HOUR, day_start, hour_floor, local_day_start

HOURLY_ROLLUP = "hourly_total"


def rollup_metric_names() -> tuple[str, ...]:
    """The metrics the hourly rollup sums (TELEMETRY_DAILY_TOTAL_METRICS); others are summed live."""
    names = tuple(settings.TELEMETRY_DAILY_TOTAL_METRICS)
    bad = [name for name in names if not METRIC_NAME_PATTERN.match(name)]
    if bad:
        raise ValueError(f"TELEMETRY_DAILY_TOTAL_METRICS holds names that are not metric names: {bad}")
    return names


def _sums_live(*, sensor_id: str, name: str, ranges: list[tuple[datetime, datetime]],
               tz: tzinfo) -> dict[date, tuple[float, int]]:
    """The metric's sum and count per day in `tz` over the readings in these UTC ranges."""
    ranges = [(start, end) for start, end in ranges if start < end]
    if not ranges:
        return {}
    within = Q()
    for start, end in ranges:
        within |= Q(timestamp__gte=start, timestamp__lt=end)
    rows = (MetricReading.objects.filter(within, sensor_id=sensor_id, name=name)
            .annotate(day=TruncDate("timestamp", tzinfo=tz)).values("day")
            .annotate(total=Sum("value"), readings=Count("*")).order_by())
    return {row["day"]: (row["total"], row["readings"]) for row in rows}


def _hourly_rows(*, sensor_id: str, name: str, start: datetime, end: datetime) -> list[tuple[datetime, float, int]]:
    """(UTC hour, total, readings) of the materialised hours in [start, end)."""
    return list(HourlyTotal.objects.filter(sensor_id=sensor_id, name=name, hour__gte=start, hour__lt=end)
                .values_list("hour", "total", "readings"))


def daily_totals(*, sensor_id: str, name: str, first_day: date, last_day: date, tz: tzinfo = timezone.utc) -> list[dict]:
    """One row per day in `tz` from first_day to last_day (inclusive): the metric's sum and how
    many readings made it. Rolled-up metrics add up the materialised UTC hours before the
    rollup's watermark and sum the rest live
    (always today), so today is complete up to the newest reading. An hour that a local
    midnight cuts (zones with a :30 or :45 offset) is summed live, split at that midnight.
    Days without readings are 0."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    midnights = [local_day_start(day, tz) for day in [*days, last_day + timedelta(days=1)]]
    start, end = midnights[0], midnights[-1]
    rolled_until = start  # materialised hours cover [start, rolled_until)
    if name in rollup_metric_names():
        through = RollupWatermark.objects.filter(rollup=HOURLY_ROLLUP).values_list("through", flat=True).first()
        if through is not None:
            rolled_until = min(max(start, day_start(through)), end)
    cut_hours = {hour_floor(moment) for moment in midnights if hour_floor(moment) != moment}
    sums: dict[date, list[float]] = {day: [0.0, 0] for day in days}
    live_ranges = [(rolled_until, end)]
    if rolled_until > start:
        for hour, total, readings in _hourly_rows(sensor_id=sensor_id, name=name, start=hour_floor(start),
                                                  end=rolled_until):
            if hour in cut_hours:
                continue
            entry = sums[hour.astimezone(tz).date()]
            entry[0] += total
            entry[1] += readings
        live_ranges += [(max(hour, start), min(hour + HOUR, rolled_until)) for hour in sorted(cut_hours)]
    for day, (total, readings) in _sums_live(sensor_id=sensor_id, name=name, ranges=live_ranges, tz=tz).items():
        if day in sums:
            sums[day][0] += total
            sums[day][1] += readings
    return [{"date": day, "total": total, "readings": readings} for day, (total, readings) in sums.items()]
