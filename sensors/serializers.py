from django.conf import settings
from rest_framework import serializers

from sensors.models import Command, Sensor
from sensors.validators import mac_address_normalise, validate_sensor_id


def _django_validator(function):
    def run(value):
        from django.core.exceptions import ValidationError

        try:
            return function(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    return run


class SensorSerializer(serializers.ModelSerializer):
    id = serializers.CharField(max_length=50, validators=[_django_validator(validate_sensor_id)])
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Sensor
        fields = [
            "id", "name", "device_type", "mac_address", "ble_profile", "status", "owner",
            "created_at", "updated_at", "last_seen", "battery_level", "signal_strength",
            "online", "connected_since", "last_message_at",
        ]
        read_only_fields = ["created_at", "updated_at", "last_seen", "battery_level", "signal_strength",
                            "online", "connected_since", "last_message_at"]

    def validate_mac_address(self, value):
        if value in (None, ""):
            return None
        normalised = _django_validator(mac_address_normalise)(value)
        taken = Sensor.objects.filter(mac_address=normalised)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("A sensor with this MAC address is already registered.")
        return normalised

    def validate_id(self, value):
        if self.instance is not None and value != self.instance.pk:
            raise serializers.ValidationError("The sensor id cannot be changed.")
        if self.instance is None and Sensor.objects.filter(pk=value).exists():
            raise serializers.ValidationError("A sensor with this id already exists.")
        return value


class SensorUpdateSerializer(SensorSerializer):
    id = serializers.CharField(read_only=True)


class SensorCreatedSerializer(SensorSerializer):
    token = serializers.CharField(read_only=True, help_text="Device token. Shown once; store it on the device.")

    class Meta(SensorSerializer.Meta):
        fields = [*SensorSerializer.Meta.fields, "token"]


class DeviceTokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class CommandSerializer(serializers.ModelSerializer):
    """A command to a device: `{name, params, ttl_seconds}` in, its lifecycle out."""

    name = serializers.RegexField(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$", max_length=64, error_messages={
        "invalid": "Letters, digits, '_', '.' or '-', starting with a letter (at most 64)."})
    params = serializers.DictField(required=False, default=dict)
    ttl_seconds = serializers.IntegerField(required=False, min_value=1)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Command
        fields = ["id", "sensor", "name", "params", "ttl_seconds", "status", "reply", "created_by", "created_at",
                  "expires_at", "sent_at", "completed_at"]
        read_only_fields = ["id", "sensor", "status", "reply", "created_by", "created_at", "expires_at", "sent_at",
                            "completed_at"]

    def validate_ttl_seconds(self, value):
        limit = settings.COMMAND_MAX_TTL
        if value > limit:
            raise serializers.ValidationError(f"At most {limit} seconds.")
        return value
