"""Reads the dashboard pages need beyond the apps' own selectors: page-shaped summaries."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from sensors.models import DeviceType, Sensor, SensorStatus
from sensors.selectors import sensor_list
from telemetry import selectors as telemetry_selectors
from telemetry.daily_totals import daily_totals
from telemetry.models import ImuReading, MetricReading
from telemetry.selectors import reading_kind
from telemetry.timeseries import local_day_start
from users.models import User
from users.selectors import user_time_zone


@dataclass(frozen=True)
class FleetCounts:
    total: int
    online: int
    active: int
    inactive: int
    error: int


def fleet_sensor_list(*, user: User, device_type: str = "", status: str = "") -> list[Sensor]:
    """The user's sensors for the overview, each with `readings_last_hour` set."""
    sensors = sensor_list(user=user)
    if device_type in DeviceType.values:
        sensors = sensors.filter(device_type=device_type)
    if status in SensorStatus.values:
        sensors = sensors.filter(status=status)
    sensors = list(sensors.order_by("id"))
    counts = readings_last_hour_by_sensor(sensor_ids=[sensor.pk for sensor in sensors])
    for sensor in sensors:
        sensor.readings_last_hour = counts.get(sensor.pk, 0)
    return sensors


def fleet_counts(*, user: User) -> FleetCounts:
    sensors = sensor_list(user=user).order_by()
    by_status = dict(sensors.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return FleetCounts(total=sum(by_status.values()),
                       online=sensors.filter(online=True).count(),
                       active=by_status.get(SensorStatus.ACTIVE, 0),
                       inactive=by_status.get(SensorStatus.INACTIVE, 0),
                       error=by_status.get(SensorStatus.ERROR, 0))


def readings_last_hour_by_sensor(*, sensor_ids: list[str]) -> dict[str, int]:
    """Readings received in the last hour per sensor: IMU samples, plus one per metric
    timestamp (a meter sending voltage, current and power at once sent one reading)."""
    if not sensor_ids:
        return {}
    since = timezone.now() - timedelta(hours=1)
    counts: dict[str, int] = dict(
        ImuReading.objects.filter(sensor_id__in=sensor_ids, timestamp__gte=since)
        .values("sensor_id").annotate(n=Count("timestamp")).values_list("sensor_id", "n"))
    metric_counts = (MetricReading.objects.filter(sensor_id__in=sensor_ids, timestamp__gte=since)
                     .values("sensor_id").annotate(n=Count("timestamp", distinct=True))
                     .values_list("sensor_id", "n"))
    for sensor_id, n in metric_counts:
        counts[sensor_id] = counts.get(sensor_id, 0) + n
    return counts


# --- Sensor page ---------------------------------------------------------------------

IMU_SERIES = [("accel_x", "Acceleration x"), ("accel_y", "Acceleration y"), ("accel_z", "Acceleration z"),
              ("gyro_x", "Angular rate x"), ("gyro_y", "Angular rate y"), ("gyro_z", "Angular rate z")]
UNITS = {"accel": "m/s²", "gyro": "°/s", "voltage": "V", "current": "A", "power": "W",
         "energy_kwh": "kWh", "energy_total_kwh": "kWh", "temperature": "°C", "humidity": "%", "pressure": "hPa"}


def unit_of(name: str) -> str:
    if name.startswith(("accel_", "gyro_")):
        return UNITS[name.split("_")[0]]
    return UNITS.get(name, "")


@dataclass(frozen=True)
class LatestValue:
    label: str
    value: float
    unit: str


@dataclass
class LatestReading:
    timestamp: str
    values: list[LatestValue]


def sensor_latest_reading(*, sensor: Sensor) -> LatestReading | None:
    kind = reading_kind(sensor=sensor)
    reading = telemetry_selectors.reading_latest(sensor_id=sensor.pk, kind=kind)
    if reading is None:
        return None
    if kind == "imu":
        values = [LatestValue(label, reading[group][axis], unit_of(column))
                  for column, label in IMU_SERIES
                  for group, axis in [telemetry_selectors.IMU_COLUMNS[column]]]
    else:
        values = [LatestValue(name, value, unit_of(name)) for name, value in reading["metrics"].items()]
    return LatestReading(timestamp=reading["timestamp"], values=values)


@dataclass
class HistoryTable:
    """Bucketed history: one row per bucket, one (avg, min, max) cell per series."""

    bucket: str
    columns: list[str]
    rows: list[tuple[object, int, list[dict | None]]] = field(default_factory=list)


def sensor_history_table(*, sensor: Sensor, start, end) -> HistoryTable:
    bucket = telemetry_selectors.bucket_for_range(start=start, end=end)
    kind = reading_kind(sensor=sensor)
    query = telemetry_selectors.ReadingQuery(
        sensor_id=sensor.pk, kind=kind, start=start, end=end, order="oldest",
        limit=telemetry_selectors.MAX_LIMIT, bucket=bucket)
    rows = telemetry_selectors.readings_page(query=query).rows
    if kind == "imu":
        return HistoryTable(
            bucket=bucket, columns=[f"{label} ({unit_of(column)})" for column, label in IMU_SERIES],
            rows=[(row["timestamp"], row["count"], [row[column] for column, _ in IMU_SERIES]) for row in rows])
    names = sorted({row["name"] for row in rows})
    by_bucket: dict = {}
    for row in rows:
        count, cells = by_bucket.setdefault(row["timestamp"], [0, {}])
        by_bucket[row["timestamp"]][0] = max(count, row["count"])
        cells[row["name"]] = {"avg": row["avg"], "min": row["min"], "max": row["max"]}
    return HistoryTable(
        bucket=bucket, columns=[f"{name} ({unit_of(name)})" if unit_of(name) else name for name in names],
        rows=[(moment, count, [cells.get(name) for name in names])
              for moment, (count, cells) in by_bucket.items()])


# --- Energy ---------------------------------------------------------------------------

ENERGY_METRIC = "energy_kwh"
POWER_METRIC = "power"
ENERGY_DAYS = 30
POWER_BUCKET = "5m"


@dataclass
class EnergyMeterSummary:
    sensor: Sensor
    daily: list[tuple[date, float]]       # (day in the user's zone, kWh) for each of the last 30 days, oldest first
    power_today: list[tuple[datetime, float, float, float]]  # (bucket start, avg, min, max) in W
    today: date | None = None  # in the user's zone
    power_since: datetime | None = None  # local midnight: the power chart spans [power_since, power_until]
    power_until: datetime | None = None

    @property
    def today_kwh(self) -> float | None:
        return self.daily[-1][1] if self.daily and self.daily[-1][0] == self.today else None

    @property
    def total_kwh(self) -> float:
        return sum(kwh for _, kwh in self.daily)

    @property
    def power_now(self) -> float | None:
        return self.power_today[-1][1] if self.power_today else None

    def chart_data(self) -> dict:
        return {
            "sensorId": self.sensor.pk,
            "days": [day.isoformat() for day, _ in self.daily],
            "kwh": [kwh for _, kwh in self.daily],
            "powerTimes": [moment.isoformat() for moment, *_ in self.power_today],
            "powerAvg": [avg for _, avg, _, _ in self.power_today],
            "powerMin": [low for _, _, low, _ in self.power_today],
            "powerMax": [high for _, _, _, high in self.power_today],
            # The whole of today so far, however few buckets there are (one point alone
            # would otherwise be stretched over years).
            "powerRange": [moment.isoformat() for moment in (self.power_since, self.power_until) if moment],
        }


def energy_meter_summaries(*, user: User) -> list[EnergyMeterSummary]:
    """Daily energy over the last 30 days in the user's time zone and today's power curve
    (since local midnight), per energy meter."""
    tz = user_time_zone(user=user)
    now = timezone.now()
    today = now.astimezone(tz).date()
    midnight = local_day_start(today, tz)
    first_day = today - timedelta(days=ENERGY_DAYS - 1)
    summaries = []
    for meter in sensor_list(user=user).filter(device_type=DeviceType.ENERGY_METER).order_by("id"):
        daily = daily_totals(sensor_id=meter.pk, name=ENERGY_METRIC,
                             first_day=first_day, last_day=today, tz=tz)
        power = telemetry_selectors.readings_page(query=telemetry_selectors.ReadingQuery(
            sensor_id=meter.pk, kind="metric", names=(POWER_METRIC,), start=midnight, end=now,
            order="oldest", bucket=POWER_BUCKET, limit=telemetry_selectors.MAX_LIMIT)).rows
        summaries.append(EnergyMeterSummary(
            sensor=meter,
            daily=[(row["date"], row["total"]) for row in daily], today=today,
            power_today=[(row["timestamp"], row["avg"], row["min"], row["max"]) for row in power],
            power_since=midnight, power_until=now))
    return summaries

