"""Readings placed straight in the tables, for tests of the read side."""

from datetime import datetime, timedelta, timezone

from telemetry.models import ImuReading, MetricReading

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def imu_store(sensor_id: str, *, count: int, start: datetime = T0, step: timedelta = timedelta(seconds=1)) -> list[datetime]:
    """`count` IMU readings `step` apart; reading i has accel_x = i and battery 100 - i % 50."""
    moments = [start + i * step for i in range(count)]
    ImuReading.objects.bulk_create(
        [ImuReading(sensor_id=sensor_id, timestamp=moment, accel_x=float(i), accel_y=0.5, accel_z=9.81,
                    gyro_x=0.1, gyro_y=0.0, gyro_z=-float(i), battery_level=100 - i % 50, signal_strength=-60)
         for i, moment in enumerate(moments)], batch_size=2000)
    return moments


def metrics_store(sensor_id: str, rows: list[tuple[datetime, str, float]]) -> None:
    MetricReading.objects.bulk_create(
        [MetricReading(sensor_id=sensor_id, timestamp=moment, name=name, value=value) for moment, name, value in rows],
        batch_size=2000)
