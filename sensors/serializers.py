from rest_framework import serializers

from sensors.models import Sensor
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
        ]
        read_only_fields = ["created_at", "updated_at", "last_seen", "battery_level", "signal_strength"]

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
