"""The wire format, shared by every transport, described for the OpenAPI schema (ingest itself
validates with the compiled msgspec types in telemetry/schema.py), and fields the query
APIs share. Each API's own input and output are nested in its view."""

import zoneinfo

from rest_framework import serializers


class TimeZoneField(serializers.CharField):
    """An IANA time zone name, as a ZoneInfo."""

    default_error_messages = {"unknown": "Unknown time zone {name!r}; use an IANA name."}

    def to_internal_value(self, data):
        name = super().to_internal_value(data)
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.fail("unknown", name=name)

    def to_representation(self, value):
        return value.key


class VectorSerializer(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()
    z = serializers.FloatField()


class ReadingSerializer(serializers.Serializer):
    sensor_id = serializers.CharField(max_length=50)
    timestamp = serializers.CharField(help_text="ISO 8601 with a zone, or epoch milliseconds")
    acceleration = VectorSerializer(required=False, help_text="m/s²")
    gyroscope = VectorSerializer(required=False, help_text="°/s")
    battery_level = serializers.IntegerField(required=False, min_value=0, max_value=100)
    signal_strength = serializers.IntegerField(required=False, help_text="dBm")
    metrics = serializers.DictField(child=serializers.FloatField(), required=False)


class ReadingBatchSerializer(serializers.Serializer):
    readings = ReadingSerializer(many=True)


class RejectedReadingSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = RejectedReadingSerializer(many=True)
