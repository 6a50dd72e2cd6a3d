"""Thin views for the eye tracker: POST /blink/track, POST /blink/sync, GET /blink/stats."""

import zoneinfo
from datetime import datetime, time, timedelta, timezone

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.datetimes import MomentInvalid, day_parse, moment_parse
from core.errors import PayloadTooLarge, error_body
from telemetry.api import json_body
from telemetry.blink import selectors, services
from telemetry.blink.serializers import BlinkRecordSerializer
from telemetry.schema import timestamp_format
from users.selectors import user_time_zone

DEFAULT_SPAN = {"hour": timedelta(days=1), "day": timedelta(days=30)}
MAX_BUCKETS = 2_000


def _sync_body(result: services.SyncResult) -> dict:
    return {"sensor_id": result.sensor.pk,
            "created": result.count("created"), "duplicates": result.count("duplicate"),
            "rejected": result.count("rejected"),
            "cursor": timestamp_format(result.cursor) if result.cursor else None,
            "results": [outcome.as_dict() for outcome in result.outcomes]}


class BlinkSyncApi(APIView):
    """A batch of records queued offline, `{"records": [...]}` (at most 5,000).

    Every record gets an outcome (created, duplicate, rejected with reasons), so a client
    can retry a sync that timed out: nothing is stored twice. `cursor` is the newest
    timestamp the server has stored for the tracker.
    """

    class InputSerializer(serializers.Serializer):
        records = BlinkRecordSerializer(many=True)

    class OutputSerializer(serializers.Serializer):
        class OutcomeSerializer(serializers.Serializer):
            index = serializers.IntegerField()
            client_id = serializers.CharField(allow_null=True)
            outcome = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
            errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)

        sensor_id = serializers.CharField()
        created = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        rejected = serializers.IntegerField()
        cursor = serializers.CharField(allow_null=True, help_text="Newest timestamp stored for the tracker")
        results = OutcomeSerializer(many=True)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request):
        payload = json_body(request)
        records = payload.get("records") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            raise exceptions.ValidationError({"records": ['Send {"records": [...]}, an array of blink records.']})
        try:
            result = services.blink_records_sync(user=request.user, records=records)
        except services.TooManyRecords as exc:
            raise PayloadTooLarge(str(exc)) from exc
        return Response(_sync_body(result))


class BlinkTrackApi(APIView):
    """One record from the signed-in user's eye tracker (registered on first use).

    201 when stored, 200 when its client_id was stored before (nothing changes), 422 with
    the offending fields when it is invalid.
    """

    @extend_schema(request=BlinkRecordSerializer,
                   responses={200: BlinkSyncApi.OutputSerializer, 201: BlinkSyncApi.OutputSerializer})
    def post(self, request):
        record = json_body(request)
        if not isinstance(record, dict):
            raise exceptions.ValidationError({"record": ["Send one blink record as a JSON object."]})
        result = services.blink_records_sync(user=request.user, records=[record], source="blink-track")
        outcome = result.outcomes[0]
        body = _sync_body(result)
        if outcome.outcome == "rejected":
            field, problems = next(iter(outcome.errors.items()))
            body.update(error_body(f"{field}: {problems[0]}", outcome.errors))
            return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(body, status=status.HTTP_201_CREATED if outcome.outcome == "created" else status.HTTP_200_OK)


def _moment(request, name: str, tz: zoneinfo.ZoneInfo) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10 and raw[4:5] == "-":
            return datetime.combine(day_parse(raw), time.min, tzinfo=tz)
        return moment_parse(raw)
    except MomentInvalid as exc:
        raise exceptions.ValidationError({name: [f"{exc} A plain date (midnight in `tz`) works too."]}) from None


class BlinkStatsApi(APIView):
    """Blinks per minute and tracked time per hour or day, the signed-in user's data only.

    `from`/`to` are ISO 8601 times with a zone or plain dates (midnight in `tz`); `tz`
    (an IANA name) defaults to the user's profile time zone and sets where days begin.
    Defaults: the last day for `bucket=hour`, the last 30 days for `bucket=day`.
    """

    class OutputSerializer(serializers.Serializer):
        class BucketSerializer(serializers.Serializer):
            start = serializers.DateTimeField()
            blinks = serializers.IntegerField()
            tracked_s = serializers.FloatField()
            blinks_per_min = serializers.FloatField(allow_null=True)
            records = serializers.IntegerField()

        class TotalSerializer(serializers.Serializer):
            blinks = serializers.IntegerField()
            tracked_s = serializers.FloatField()
            blinks_per_min = serializers.FloatField(allow_null=True)

        bucket = serializers.ChoiceField(choices=["hour", "day"])
        tz = serializers.CharField()
        buckets = BucketSerializer(many=True)
        total = TotalSerializer()

    @extend_schema(parameters=[
        OpenApiParameter("from", str, description="ISO 8601 time with zone, or a date"),
        OpenApiParameter("to", str, description="ISO 8601 time with zone, or a date (exclusive)"),
        OpenApiParameter("bucket", str, enum=["hour", "day"], description="default hour"),
        OpenApiParameter("tz", str, description="IANA time zone; default: the profile's"),
    ], responses={200: OutputSerializer})
    def get(self, request):
        bucket = request.query_params.get("bucket", "hour")
        if bucket not in selectors.BUCKETS:
            raise exceptions.ValidationError({"bucket": ["Use hour or day."]})
        tz_name = request.query_params.get("tz")
        try:
            tz = zoneinfo.ZoneInfo(tz_name) if tz_name else user_time_zone(user=request.user)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise exceptions.ValidationError({"tz": [f"Unknown time zone {tz_name!r}; use an IANA name."]}) from None
        end = _moment(request, "to", tz) or datetime.now(timezone.utc)
        start = _moment(request, "from", tz) or end - DEFAULT_SPAN[bucket]
        if start >= end:
            raise exceptions.ValidationError({"from": ["Must be before `to`."]})
        width = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
        if (end - start) / width > MAX_BUCKETS:
            raise exceptions.ValidationError({"from": [f"At most {MAX_BUCKETS} {bucket}s per request."]})
        buckets = selectors.blink_stats(user=request.user, start=start, end=end, bucket=bucket, tz=tz)
        total_blinks = sum(b["blinks"] for b in buckets)
        total_s = sum(b["tracked_s"] for b in buckets)
        return Response({
            "from": start.isoformat(), "to": end.isoformat(), "bucket": bucket, "tz": tz.key,
            "buckets": [{**b, "start": b["start"].isoformat()} for b in buckets],
            "total": {"blinks": total_blinks, "tracked_s": round(total_s, 3),
                      "blinks_per_min": round(total_blinks * 60 / total_s, 2) if total_s else None},
        })
