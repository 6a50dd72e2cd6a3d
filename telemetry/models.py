import uuid

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


class BlinkRecord(models.Model):
    """One interval of an eye tracker's blink counting, as the desktop client recorded it.

    The client generates `client_id` when it records the interval, so re-sending a record
    after an offline spell or a timed-out sync never stores it twice. `user` is the
    tracker's owner when the record was stored: wellness data stays with the person.
    """

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="blink_records")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="blink_records")
    client_id = models.UUIDField()
    timestamp = models.DateTimeField()
    blink_count = models.PositiveIntegerField()
    interval_s = models.FloatField(help_text="Seconds of tracking this count covers")
    extras = models.JSONField(default=dict, blank=True, help_text="Optional client fields (screen_time_s, session_id…)")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "telemetry_blink_record"
        constraints = [models.UniqueConstraint(fields=["sensor", "client_id"], name="blink_unique_client_id_per_sensor")]
        indexes = [models.Index(fields=["user", "timestamp"], name="blink_user_time"),
                   models.Index(fields=["sensor", "timestamp"], name="blink_sensor_time")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.timestamp:%Y-%m-%d %H:%M} ({self.blink_count} blinks)"


class HourlyTotal(models.Model):
    """Sum of a metric per sensor per UTC hour (energy_kwh: the hour's energy), kept by the
    rollup beat task for the days before its watermark. Daily totals in any time zone are
    sums of these hours (the hours a local midnight cuts, in zones with a half-hour offset,
    are summed from the readings); today is always summed live."""

    pk = models.CompositePrimaryKey("sensor_id", "name", "hour")
    sensor = models.ForeignKey(Sensor, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    name = models.CharField(max_length=64)
    hour = models.DateTimeField()
    total = models.FloatField()
    readings = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "telemetry_hourly_total"


class RollupWatermark(models.Model):
    """How far a rollup is complete: every (UTC) day before `through` is materialised."""

    rollup = models.CharField(primary_key=True, max_length=64)
    through = models.DateField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "telemetry_rollup_watermark"


class ExportKind(models.TextChoices):
    IMU = "imu", "IMU readings"
    METRIC = "metric", "Metric readings"
    BLINK = "blink", "Blink records"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJob(models.Model):
    """A CSV (gzip) export of one sensor's data over a time range, written to S3_BUCKET_DATA.

    The object key is fixed when the job is created, so a retried or re-run job
    overwrites its own object and never leaves a second one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="export_jobs")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField(max_length=16, choices=ExportKind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING, db_index=True)
    bucket = models.CharField(max_length=255, blank=True)
    key = models.CharField(max_length=1024, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "telemetry_export_job"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_created")]

    def __str__(self) -> str:
        return f"{self.kind} export of {self.sensor_id} ({self.status})"

    @property
    def filename(self) -> str:
        return f"{self.sensor_id}-{self.kind}-{self.start:%Y%m%dT%H%M}-{self.end:%Y%m%dT%H%M}.csv.gz"
