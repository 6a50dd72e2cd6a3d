from django.db import models

from sensors.models import Sensor


class ImuReading(models.Model):
    """One motion sample. Acceleration in m/s², angular rate in °/s.

    Keyed on (sensor, timestamp) with no serial id, so a repeated reading is stored once
    and the key doubles as the time index. No database-level foreign key: readings are
    append-only and high-volume, and sensor deletion removes them in bulk.
    """

    pk = models.CompositePrimaryKey("sensor_id", "timestamp")
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    timestamp = models.DateTimeField()
    accel_x = models.FloatField()
    accel_y = models.FloatField()
    accel_z = models.FloatField()
    gyro_x = models.FloatField()
    gyro_y = models.FloatField()
    gyro_z = models.FloatField()
    battery_level = models.SmallIntegerField(null=True, blank=True)
    signal_strength = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        db_table = "telemetry_imu_reading"


class MetricReading(models.Model):
    """A named scalar (voltage, current, power, energy_kwh, temperature, blink_count…)."""

    pk = models.CompositePrimaryKey("sensor_id", "timestamp", "name")
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    timestamp = models.DateTimeField()
    name = models.CharField(max_length=64)
    value = models.FloatField()

    class Meta:
        db_table = "telemetry_metric_reading"
        # `value` rides in the index so a metric series is read without touching the table.
        indexes = [models.Index(fields=["sensor", "name", "timestamp"], name="metric_sensor_name_time", include=["value"])]


class DailyTotal(models.Model):
    """Sum of a metric per sensor per UTC day (energy_kwh: the day's energy), kept by the
    rollup beat task for the days before its watermark; today is always summed live."""

    pk = models.CompositePrimaryKey("sensor_id", "name", "day")
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    name = models.CharField(max_length=64)
    day = models.DateField()
    total = models.FloatField()
    readings = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "telemetry_daily_total"


class RollupWatermark(models.Model):
    """How far a rollup is complete: every day before `through` is materialised."""

    rollup = models.CharField(primary_key=True, max_length=64)
    through = models.DateField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "telemetry_rollup_watermark"
