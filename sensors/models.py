import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from sensors.validators import mac_address_normalise, validate_sensor_id


class DeviceType(models.TextChoices):
    IMU = "imu", "IMU (motion)"
    ENERGY_METER = "energy_meter", "Energy meter"
    EYE_TRACKER = "eye_tracker", "Eye tracker"
    ENVIRONMENT = "environment", "Environment"
    OTHER = "other", "Other"


class SensorStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ERROR = "error", "Error"


class BleProfile(models.TextChoices):
    """Which decoder reads the device's notifications (transports/ble/decoders)."""

    NONE = "", "None (not a BLE device)"
    THINGY52 = "thingy52", "Nordic Thingy:52"
    WITMOTION_BWT901 = "witmotion_bwt901", "WitMotion BWT901BLE"
    MOVESENSE_IMU6 = "movesense_imu6", "Movesense IMU6"
    SENSORIUM_DIY = "sensorium_diy", "Sensorium DIY format"
    SIG_ENERGY = "sig_energy", "Bluetooth SIG energy meter"


class Sensor(models.Model):
    id = models.CharField(primary_key=True, max_length=50, validators=[validate_sensor_id])
    name = models.CharField(max_length=200)
    device_type = models.CharField(max_length=32, choices=DeviceType.choices, default=DeviceType.IMU)
    mac_address = models.CharField(
        max_length=17, unique=True, null=True, blank=True, verbose_name="MAC address"
    )
    ble_profile = models.CharField(max_length=32, choices=BleProfile.choices, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=SensorStatus.choices, default=SensorStatus.ACTIVE, db_index=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sensors")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    battery_level = models.PositiveSmallIntegerField(null=True, blank=True)
    signal_strength = models.SmallIntegerField(null=True, blank=True, help_text="dBm")
    # SHA-256 of the device token; the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    token_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Presence, kept by the device gateway (any server process) and the presence sweep.
    online = models.BooleanField(default=False, db_index=True, editable=False)
    connected_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_message_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Channel-layer name of the socket holding the device: commands are sent there.
    connection_channel = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "id"])]

    def __str__(self) -> str:
        return f"{self.id} ({self.name})"

    def clean(self) -> None:
        try:
            self.mac_address = mac_address_normalise(self.mac_address) if self.mac_address else None
        except ValidationError as exc:
            raise ValidationError({"mac_address": exc.messages}) from exc

    def save(self, *args, **kwargs):
        # Normalise on every path (admin, services, shell) so uniqueness holds for any spelling.
        if self.mac_address:
            self.mac_address = mac_address_normalise(self.mac_address)
        else:
            self.mac_address = None
        super().save(*args, **kwargs)


class CollectJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class CollectJob(models.Model):
    """A request to read a BLE sensor now ("collect on demand"), run by a worker on queue `ble`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="collect_jobs")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collect_jobs")
    seconds = models.PositiveIntegerField(default=0, help_text="How long to collect; 0 takes one snapshot.")
    status = models.CharField(max_length=16, choices=CollectJobStatus.choices, default=CollectJobStatus.QUEUED)
    packets = models.PositiveIntegerField(default=0)
    readings = models.PositiveIntegerField(default=0, help_text="Readings handed to ingest and accepted.")
    rejected = models.PositiveIntegerField(default=0, help_text="Readings ingest refused.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"collect {self.sensor_id} ({self.status})"


class CommandStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    ACKED = "acked", "Acked"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class Command(models.Model):
    """An instruction to a device, delivered over its WebSocket, with its lifecycle."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="commands")
    name = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    ttl_seconds = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=CommandStatus.choices, default=CommandStatus.QUEUED)
    reply = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sensor", "status"])]

    def __str__(self) -> str:
        return f"{self.name} → {self.sensor_id} ({self.status})"
