"""Alarm rules, notification channels, alarms and their deliveries.

At most one open (active or acknowledged) alarm per rule and sensor: the partial unique
index `alarm_one_open_per_rule_sensor` guarantees it, so two workers evaluating concurrent
batches cannot both raise one (the loser's INSERT conflicts and it updates the open alarm).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from sensors.models import DeviceType, Sensor


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Condition(models.TextChoices):
    ABOVE = "above", "Field above the threshold"
    BELOW = "below", "Field below the threshold"
    OUTSIDE = "outside", "Field outside [low, high]"
    BATTERY_BELOW = "battery_below", "Battery below the threshold (%)"
    SILENT = "silent", "No message for silent_seconds"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


def webhook_secret_new() -> str:
    return secrets.token_urlsafe(32)


class NotificationChannel(models.Model):
    """Where a rule's alarms are announced: email addresses, or a webhook signed with `secret`."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alarm_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    emails = models.JSONField(default=list, blank=True, help_text="Recipients (email channels)")
    url = models.URLField(max_length=500, blank=True, help_text="Receiver (webhook channels)")
    secret = models.CharField(max_length=128, default=webhook_secret_new,
                              help_text="HMAC-SHA256 key of the X-Sensorium-Signature header")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "id"], name="alarm_channel_owner")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Rule(models.Model):
    """A condition on one sensor, or on every sensor of `device_type` the owner has."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alarm_rules")
    name = models.CharField(max_length=100)
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, null=True, blank=True, related_name="alarm_rules")
    device_type = models.CharField(max_length=32, choices=DeviceType.choices, blank=True)
    condition = models.CharField(max_length=16, choices=Condition.choices)
    field = models.CharField(max_length=64, blank=True,
                             help_text="acceleration.x|y|z, gyroscope.x|y|z, signal_strength, or a metric name")
    threshold = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True)
    high = models.FloatField(null=True, blank=True)
    silent_seconds = models.PositiveIntegerField(null=True, blank=True)
    for_seconds = models.PositiveIntegerField(default=0, help_text="The condition must hold this long to raise")
    hysteresis = models.FloatField(default=0, help_text="An alarm clears only this far back inside the limit")
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    enabled = models.BooleanField(default=True)
    channels = models.ManyToManyField(NotificationChannel, blank=True, related_name="rules")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "device_type"], name="alarm_rule_owner_type")]
        constraints = [models.CheckConstraint(
            condition=(Q(sensor__isnull=False) & Q(device_type="")) | (Q(sensor__isnull=True) & ~Q(device_type="")),
            name="alarm_rule_one_scope")]

    def __str__(self) -> str:
        return self.name


class AlarmState(models.TextChoices):
    ACTIVE = "active", "Active"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLEARED = "cleared", "Cleared"


OPEN_STATES = (AlarmState.ACTIVE, AlarmState.ACKNOWLEDGED)


class Alarm(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alarms")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="alarms")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alarms")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    state = models.CharField(max_length=16, choices=AlarmState.choices, default=AlarmState.ACTIVE)
    message = models.CharField(max_length=300)
    raised_at = models.DateTimeField(auto_now_add=True)
    first_value = models.FloatField(null=True)
    first_at = models.DateTimeField(help_text="When the triggering condition began (reading time)")
    last_value = models.FloatField(null=True)
    last_at = models.DateTimeField(help_text="Newest triggering reading")
    retrigger_count = models.PositiveIntegerField(default=0)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", help_text="Empty when the condition cleared it")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "sensor"], condition=Q(state__in=OPEN_STATES),
                                               name="alarm_one_open_per_rule_sensor")]
        indexes = [models.Index(fields=["owner", "state", "-id"], name="alarm_owner_state"),
                   models.Index(fields=["sensor", "state"], name="alarm_sensor_state")]

    def __str__(self) -> str:
        return f"{self.rule} on {self.sensor_id} ({self.state})"


class AlarmEventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLEARED = "cleared", "Cleared"


class AlarmEvent(models.Model):
    """An alarm's history: each lifecycle step, once. Re-triggers are counted on the alarm."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=AlarmEventKind.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    value = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["alarm", "kind"], name="alarm_event_once_per_kind")]


class AlarmCondition(models.Model):
    """Evaluation state of one rule on one sensor: since when the condition holds (for
    `for_seconds`), whether the newest reading met it, the open alarm, and `through`, the
    newest reading that changed any of it: readings at or before it are not evaluated
    again, so a redelivered batch raises, counts and clears nothing twice."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="+")
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_value = models.FloatField(null=True, blank=True)
    holding = models.BooleanField(default=False)
    through = models.DateTimeField(null=True, blank=True)
    alarm = models.ForeignKey(Alarm, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        # Sensor first: evaluation reads every state of a batch's sensors.
        constraints = [models.UniqueConstraint(fields=["sensor", "rule"], name="alarm_condition_per_sensor_rule")]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead letter"


class NotificationDelivery(models.Model):
    """One announcement of one alarm event on one channel; the payload is fixed when it is
    created, so every attempt sends the same body."""

    event = models.ForeignKey(AlarmEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="deliveries")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "notification deliveries"
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="delivery_once_per_event_channel")]
        indexes = [models.Index(fields=["owner", "status", "-id"], name="delivery_owner_status")]
