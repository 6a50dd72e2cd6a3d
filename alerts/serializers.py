from rest_framework import serializers

from alerts.models import (
    Alarm,
    AlarmEvent,
    AlarmState,
    ChannelKind,
    Condition,
    DeliveryStatus,
    NotificationChannel,
    NotificationDelivery,
    Rule,
    Severity,
)
from alerts.rules import IMU_FIELDS
from alerts.selectors import channel_list
from sensors.selectors import sensor_list
from telemetry.schema import METRIC_NAME_PATTERN

FIELD_HELP = f"An IMU field ({', '.join(IMU_FIELDS)}) or a metric name (power, voltage…)."


class ChannelSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=20)
    secret = serializers.CharField(write_only=True, required=False, min_length=16, max_length=128,
                                   help_text="Webhook signing key; generated when absent, shown once on create.")

    class Meta:
        model = NotificationChannel
        fields = ["id", "name", "kind", "emails", "url", "secret", "enabled", "owner", "created_at"]
        read_only_fields = ["created_at"]

    def validate_url(self, value):
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("A webhook URL is http:// or https://.")
        return value

    def validate(self, data):
        kind = data.get("kind", getattr(self.instance, "kind", None))
        emails = data.get("emails", getattr(self.instance, "emails", []))
        url = data.get("url", getattr(self.instance, "url", ""))
        if kind == ChannelKind.EMAIL and not emails:
            raise serializers.ValidationError({"emails": ["An email channel needs at least one address."]})
        if kind == ChannelKind.WEBHOOK and not url:
            raise serializers.ValidationError({"url": ["A webhook channel needs a URL."]})
        return data


class ChannelCreatedSerializer(ChannelSerializer):
    secret = serializers.CharField(read_only=True, help_text="Webhook signing key. Shown once; keep it.")


class RuleSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    sensor = serializers.CharField(source="sensor_id", required=False, allow_null=True, allow_blank=True,
                                   help_text="One sensor (its id); or give device_type instead.")
    field = serializers.CharField(required=False, allow_blank=True, max_length=64, help_text=FIELD_HELP)
    channels = serializers.PrimaryKeyRelatedField(many=True, required=False,
                                                  queryset=NotificationChannel.objects.none())
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    condition = serializers.ChoiceField(choices=Condition.choices)

    class Meta:
        model = Rule
        fields = ["id", "name", "sensor", "device_type", "condition", "field", "threshold", "low", "high",
                  "silent_seconds", "for_seconds", "hysteresis", "severity", "enabled", "channels", "owner",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["channels"].child_relation.queryset = channel_list(user=request.user)

    def validate_sensor(self, value):
        if not value:
            return None
        if not sensor_list(user=self.context["request"].user).filter(pk=value).exists():
            raise serializers.ValidationError("Unknown sensor.")
        return value

    def validate_hysteresis(self, value):
        if value < 0:
            raise serializers.ValidationError("Must be zero or more.")
        return value

    def validate(self, data):
        merged = {name: getattr(self.instance, name) for name in self.Meta.fields
                  if self.instance is not None and hasattr(self.instance, name)}
        if self.instance is not None:
            merged["sensor_id"] = self.instance.sensor_id
        merged.update(data)
        errors = self._condition_errors(merged)
        if errors:
            raise serializers.ValidationError(errors)
        if data.get("sensor_id"):
            data["device_type"] = ""
        elif "device_type" in data and data["device_type"]:
            data["sensor_id"] = None
        return data

    @staticmethod
    def _condition_errors(rule: dict) -> dict:
        has_sensor, has_type = bool(rule.get("sensor_id")), bool(rule.get("device_type"))
        if has_sensor == has_type:
            return {"sensor": ["Give either a sensor or a device_type (every sensor of that type you own)."]}
        condition = rule.get("condition")
        field, threshold = rule.get("field") or "", rule.get("threshold")
        if condition in (Condition.ABOVE, Condition.BELOW, Condition.OUTSIDE):
            if not field:
                return {"field": ["This condition watches a field: " + FIELD_HELP]}
            if field not in IMU_FIELDS and not METRIC_NAME_PATTERN.match(field):
                return {"field": ["Not an IMU field or a metric name: " + FIELD_HELP]}
        if condition in (Condition.ABOVE, Condition.BELOW, Condition.BATTERY_BELOW) and threshold is None:
            return {"threshold": ["This condition needs a threshold."]}
        if condition == Condition.BATTERY_BELOW and not 0 < threshold <= 100:
            return {"threshold": ["A battery threshold is a percentage, above 0 and at most 100."]}
        if condition == Condition.OUTSIDE:
            low, high = rule.get("low"), rule.get("high")
            if low is None or high is None or low >= high:
                return {"low": ["An outside-range condition needs low < high."]}
            if 2 * (rule.get("hysteresis") or 0) > high - low:
                return {"hysteresis": ["The hysteresis must leave room inside [low, high]."]}
        if condition == Condition.SILENT and not rule.get("silent_seconds"):
            return {"silent_seconds": ["A silence condition needs silent_seconds (at least 1)."]}
        return {}


class AlarmSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    sensor = serializers.CharField(source="sensor_id", read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", read_only=True, allow_null=True)
    cleared_by = serializers.CharField(source="cleared_by.username", read_only=True, allow_null=True,
                                       help_text="Empty when the condition cleared it")
    state = serializers.ChoiceField(choices=AlarmState.choices, read_only=True)

    class Meta:
        model = Alarm
        fields = ["id", "rule", "rule_name", "sensor", "severity", "state", "message", "raised_at", "first_value",
                  "first_at", "last_value", "last_at", "retrigger_count", "acknowledged_at", "acknowledged_by",
                  "cleared_at", "cleared_by"]
        read_only_fields = fields


class AlarmTransitionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class DeliverySerializer(serializers.ModelSerializer):
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    kind = serializers.CharField(source="channel.kind", read_only=True)
    alarm = serializers.IntegerField(source="event.alarm_id", read_only=True)
    event = serializers.CharField(source="event.kind", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = NotificationDelivery
        fields = ["id", "alarm", "event", "channel", "channel_name", "kind", "status", "attempts",
                  "last_status_code", "last_error", "created_at", "last_attempt_at", "delivered_at"]
        read_only_fields = fields


class AlarmEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, allow_null=True)
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta:
        model = AlarmEvent
        fields = ["id", "kind", "at", "by", "value", "note", "deliveries"]
        read_only_fields = fields
