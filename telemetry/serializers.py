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


# --- The rows of GET /api/v1/data/{sensor_id} (documentation: the selectors build them) ---

class PartialVectorSerializer(serializers.Serializer):
    """The axes asked for in `fields` (all three by default)."""

    x = serializers.FloatField(required=False)
    y = serializers.FloatField(required=False)
    z = serializers.FloatField(required=False)


class ImuRowSerializer(serializers.Serializer):
    """One IMU reading in the wire format, limited to the fields asked for."""

    timestamp = serializers.DateTimeField()
    acceleration = PartialVectorSerializer(required=False, help_text="m/s²")
    gyroscope = PartialVectorSerializer(required=False, help_text="°/s")
    battery_level = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    signal_strength = serializers.IntegerField(required=False, allow_null=True, help_text="dBm")


class MetricRowSerializer(serializers.Serializer):
    """One metric reading."""

    timestamp = serializers.DateTimeField()
    name = serializers.CharField()
    value = serializers.FloatField()


class StatsSerializer(serializers.Serializer):
    avg = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class ImuBucketRowSerializer(serializers.Serializer):
    """One time bucket of IMU readings: how many, and avg/min/max per column asked for."""

    timestamp = serializers.DateTimeField(help_text="Start of the bucket.")
    count = serializers.IntegerField()
    accel_x = StatsSerializer(required=False)
    accel_y = StatsSerializer(required=False)
    accel_z = StatsSerializer(required=False)
    gyro_x = StatsSerializer(required=False)
    gyro_y = StatsSerializer(required=False)
    gyro_z = StatsSerializer(required=False)
    battery_level = StatsSerializer(required=False)
    signal_strength = StatsSerializer(required=False)


class MetricBucketRowSerializer(serializers.Serializer):
    """One time bucket of one metric."""

    timestamp = serializers.DateTimeField(help_text="Start of the bucket.")
    name = serializers.CharField()
    count = serializers.IntegerField()
    avg = serializers.FloatField(allow_null=True)
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


READING_ROW_SERIALIZERS = [ImuRowSerializer, MetricRowSerializer, ImuBucketRowSerializer, MetricBucketRowSerializer]
