"""Reads the dashboard pages need beyond the apps' own selectors: page-shaped summaries."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from sensors.models import DeviceType, Sensor, SensorStatus
from sensors.selectors import sensor_list
from telemetry.models import ImuReading, MetricReading
from users.models import User


@dataclass(frozen=True)
class FleetCounts:
    total: int
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
    by_status = dict(sensor_list(user=user).order_by().values_list("status")
                     .annotate(n=Count("pk")).values_list("status", "n"))
    return FleetCounts(total=sum(by_status.values()),
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
