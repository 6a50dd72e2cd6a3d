from datetime import datetime, timedelta, timezone

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from core.datetimes import AwareDateTimeField
from core.streaming import csv_streaming_response
from sensors.selectors import sensor_get
from telemetry import ingest, selectors
from telemetry.daily_totals import daily_totals
from telemetry.schema import METRIC_NAME_PATTERN
from telemetry.serializers import READING_ROW_SERIALIZERS, ReadingSerializer, TimeZoneField
from users.selectors import user_time_zone

def json_body(request) -> object:
    try:
        return ingest.payload_decode(request.body)
    except ingest.MalformedJson as exc:
        raise exceptions.ParseError(str(exc)) from exc


# --- Queries ---------------------------------------------------------------------------

def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _metric_names(value: str) -> list[str]:
    names = _comma_list(value)
    bad = [name for name in names if not METRIC_NAME_PATTERN.match(name)]
    if bad or not names:
        raise serializers.ValidationError(f"Not a metric name: {', '.join(bad) or value!r}.")
    return names


@extend_schema_field(PolymorphicProxySerializer(
    component_name="ReadingRow", serializers=READING_ROW_SERIALIZERS, resource_type_field_name=None, many=True))
class ReadingRowsField(serializers.ListField):
    """The rows of a readings page: one kind per page (the page's `kind` and `bucket` say which)."""


class IgnoreFormatParameter(DefaultContentNegotiation):
    """`?format=csv` selects the export, not a DRF renderer: always answer with the first renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _csv_row(row: dict, query: selectors.ReadingQuery) -> list:
    moment = row["timestamp"].isoformat().replace("+00:00", "Z")
    if query.kind == "metric":
        if query.bucket:
            return [moment, row["name"], row["count"], row["avg"], row["min"], row["max"]]
        return [moment, row["name"], row["value"]]
    if query.bucket:
        return [moment, row["count"], *(row[column][stat] for column in query.columns for stat in ("avg", "min", "max"))]
    values = []
    for column in query.columns:
        group, key = selectors.IMU_COLUMNS[column]
        values.append(row[group] if key is None else row[group][key])
    return [moment, *values]


def _csv_header(query: selectors.ReadingQuery) -> list[str]:
    if query.kind == "metric":
        return ["timestamp", "name", "count", "avg", "min", "max"] if query.bucket else ["timestamp", "name", "value"]
    if query.bucket:
        return ["timestamp", "count", *(f"{column}_{stat}" for column in query.columns for stat in ("avg", "min", "max"))]
    return ["timestamp", *query.columns]


class ReadingsApi(APIView):
    """A sensor's readings over a time range, newest or oldest first, in keyset pages.

    Without `start` and `end`, the sensor's newest readings whenever they were taken: the
    newest page of raw readings (newest first unless `order=oldest`), `next` paging back
    through its whole history; `start` is then null. IMU rows use the SensorReading wire format; metric rows are {timestamp, name, value}.
    With `bucket` (or when the range holds more than 2,000 readings and no `bucket`,
    `limit` or `cursor` is given) rows are buckets with avg/min/max/count per field.
    `format=csv` streams the whole range. Another user's sensor is a 404.
    """

    content_negotiation_class = IgnoreFormatParameter
    sensor_kwarg = "sensor_id"

    class InputSerializer(serializers.Serializer):
        start = AwareDateTimeField(required=False, help_text=(
            "Inclusive. Default: 24 h before `end` when `end` is given (csv: 24 h before now); "
            "with neither, no lower bound: the newest readings, however old."))
        end = AwareDateTimeField(required=False, help_text="Exclusive; default: no upper bound.")
        kind = serializers.ChoiceField(choices=["imu", "metric"], required=False,
                                       help_text="Default: metric when `metric` is given or the sensor is not an IMU.")
        fields = serializers.CharField(required=False, help_text="IMU: acceleration, gyroscope, battery_level, "
                                       "signal_strength or columns such as accel_x; metrics: metric names.")
        metric = serializers.CharField(required=False, help_text="Metric name(s), comma-separated (e.g. energy_kwh).")
        bucket = serializers.ChoiceField(choices=[*selectors.BUCKETS, "raw"], required=False,
                                         help_text="Aggregate avg/min/max/count per bucket; `raw` forbids the "
                                         "automatic bucket chosen for ranges holding more than 2,000 readings.")
        order = serializers.ChoiceField(choices=["newest", "oldest"], default="newest")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_LIMIT)
        cursor = serializers.CharField(required=False, help_text="`next_cursor` of the previous page.")
        format = serializers.ChoiceField(choices=["json", "csv"], default="json",
                                         help_text="csv streams every row of the range (no paging).")

        def validate_fields(self, value):
            return _comma_list(value)

        def validate_metric(self, value):
            return _metric_names(value)

        def validate(self, attrs):
            end = attrs.get("end")
            if end is not None or attrs["format"] == "csv":
                attrs.setdefault("start", (end or datetime.now(timezone.utc)) - selectors.DEFAULT_RANGE)
            start = attrs.get("start")
            if end is not None and end <= start:
                raise serializers.ValidationError({"end": ["Must be after start."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        sensor_id = serializers.CharField()
        kind = serializers.ChoiceField(["imu", "metric"])
        start = serializers.DateTimeField(allow_null=True, help_text="null: no range was given (newest readings)")
        end = serializers.DateTimeField(allow_null=True)
        order = serializers.ChoiceField(["newest", "oldest"])
        bucket = serializers.CharField(allow_null=True)
        bucket_chosen_by_server = serializers.BooleanField()
        fields = serializers.ListField(child=serializers.CharField())
        count = serializers.IntegerField()
        next_cursor = serializers.CharField(allow_null=True)
        next = serializers.URLField(allow_null=True)
        results = ReadingRowsField(help_text=(
            "IMU: SensorReading wire format; metrics: {timestamp, name, value}; buckets: "
            "{timestamp, count, <column>: {avg, min, max}} or {timestamp, name, count, avg, min, max}"))

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer, (200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, **kwargs):
        sensor = sensor_get(user=request.user, sensor_id=kwargs[self.sensor_kwarg])
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query, bucket_chosen = selectors.readings_query_build(sensor=sensor, params=params.validated_data,
                                                              given=set(request.query_params))
        if params.validated_data["format"] == "csv":
            rows = (_csv_row(row, query) for row in selectors.readings_iter(query=query))
            return csv_streaming_response(request=request._request, header=_csv_header(query), rows=rows,
                                          filename=f"{sensor.pk}-{query.kind}.csv")
        page = selectors.readings_page(query=query)
        next_url = None
        if page.next_cursor:
            next_params = request.query_params.copy()
            next_params["cursor"] = page.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{next_params.urlencode()}")
        # Rows are already in the wire format; the serializer documents them.
        return Response({
            "sensor_id": sensor.pk,
            "kind": query.kind,
            "start": query.start,
            "end": query.end,
            "order": query.order,
            "bucket": query.bucket,
            "bucket_chosen_by_server": bucket_chosen,
            "fields": list(query.columns) if query.kind == "imu" else list(query.names),
            "count": len(page.rows),
            "next_cursor": page.next_cursor,
            "next": next_url,
            "results": page.rows,
        })


class RetrieveDataApi(ReadingsApi):
    """The first system's name for the readings query: same contract as GET /api/v1/data/{sensor_id}
    (without a range: the device's newest readings, however old)."""

    sensor_kwarg = "device_id"


class LatestReadingApi(APIView):
    """The newest reading of a sensor in the wire format (for metrics: every metric at the
    newest timestamp, or only those named in `metric`). 404 when it has none yet."""

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["imu", "metric"], required=False)
        metric = serializers.CharField(required=False, help_text="Metric name(s), comma-separated.")

        def validate_metric(self, value):
            return _metric_names(value)

    @extend_schema(parameters=[InputSerializer], responses={200: ReadingSerializer})
    def get(self, request, sensor_id: str):
        sensor = sensor_get(user=request.user, sensor_id=sensor_id)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        names = tuple(params.validated_data.get("metric") or ())
        kind = params.validated_data.get("kind") or selectors.reading_kind(sensor=sensor, names=names)
        reading = selectors.reading_latest(sensor_id=sensor.pk, kind=kind, names=names)
        if reading is None:
            raise exceptions.NotFound(f"Sensor {sensor.pk} has no {kind} readings yet.")
        return Response(reading)


class DailyTotalsApi(APIView):
    """A metric's sum per day in `tz` (energy_kwh: energy per day), every day from start to end.
    Past days come from the hourly rollup; today is summed live, complete up to `last_reading_at`."""

    class InputSerializer(serializers.Serializer):
        metric = serializers.CharField(default="energy_kwh", help_text="The metric summed per day.")
        start = serializers.DateField(required=False, help_text="First day in `tz` (default: 29 days before `end`).")
        end = serializers.DateField(required=False, help_text="Last day in `tz`, inclusive (default: today there).")
        tz = TimeZoneField(required=False, help_text="IANA time zone where days begin (default: your profile's).")

        def validate_metric(self, value):
            names = _metric_names(value)
            if len(names) != 1:
                raise serializers.ValidationError("Name one metric.")
            return names[0]

        def validate(self, attrs):
            tz = attrs.setdefault("tz", self.context["default_tz"])
            end = attrs.setdefault("end", datetime.now(tz).date())
            start = attrs.setdefault("start", end - timedelta(days=29))
            if start > end:
                raise serializers.ValidationError({"start": ["Must not be after end."]})
            if (end - start).days >= selectors.MAX_POINTS_PER_SERIES:
                raise serializers.ValidationError({"start": [f"At most {selectors.MAX_POINTS_PER_SERIES} days at once."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        class DaySerializer(serializers.Serializer):
            date = serializers.DateField(help_text="A day in `tz`.")
            total = serializers.FloatField(help_text="The sum of the metric's readings that day; 0 without any.")
            readings = serializers.IntegerField(help_text="How many readings the sum holds.")

        sensor_id = serializers.CharField()
        metric = serializers.CharField()
        start = serializers.DateField(help_text="First day, in `tz`.")
        end = serializers.DateField(help_text="Last day, in `tz`, inclusive.")
        tz = serializers.CharField(help_text="IANA time zone where the days begin.")
        last_reading_at = serializers.DateTimeField(allow_null=True, help_text="Today is complete up to this reading.")
        days = DaySerializer(many=True)

    @extend_schema(parameters=[InputSerializer], responses={200: OutputSerializer})
    def get(self, request, sensor_id: str):
        sensor = sensor_get(user=request.user, sensor_id=sensor_id)
        params = self.InputSerializer(data=request.query_params,
                                      context={"default_tz": user_time_zone(user=request.user)})
        params.is_valid(raise_exception=True)
        name, first_day, last_day, tz = (params.validated_data[key] for key in ("metric", "start", "end", "tz"))
        return Response({
            "sensor_id": sensor.pk,
            "metric": name,
            "start": first_day,
            "end": last_day,
            "tz": tz.key,
            "last_reading_at": selectors.metric_last_reading_at(sensor_id=sensor.pk, name=name),
            "days": daily_totals(sensor_id=sensor.pk, name=name, first_day=first_day, last_day=last_day, tz=tz),
        })
