"""Collect on demand over HTTP: ask for a BLE sensor to be read now, then poll the job."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from sensors.models import CollectJob, Sensor
from sensors.selectors import collect_job_get, sensor_get, sensor_list
from sensors.services import CollectQueueUnavailable, SensorNotCollectable, collect_job_request


class QueueUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The message broker is unavailable; retry later."
    default_code = "queue_unavailable"


class CollectInput(serializers.Serializer):
    seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=0,
        help_text="How long to collect, up to BLUETOOTH_COLLECT_MAX_SECONDS; 0 or absent takes one snapshot.")

    def validate_seconds(self, value: int | None) -> int:
        limit = settings.BLUETOOTH_COLLECT_MAX_SECONDS
        if value is not None and value > limit:
            raise ValidationError(f"Ensure this value is less than or equal to {limit}.")
        return value or 0


class CollectDataInput(CollectInput):
    device_id = serializers.CharField(max_length=50, help_text="The sensor id.")


class CollectJobOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CollectJob
        fields = ["id", "url", "sensor", "seconds", "status", "packets", "readings", "rejected", "error",
                  "created_at", "started_at", "finished_at"]

    def get_url(self, job: CollectJob) -> str:
        return reverse("collect-job-detail", kwargs={"job_id": job.pk})


def _collect_accepted(request, *, sensor: Sensor, seconds: int, field: str) -> Response:
    try:
        job = collect_job_request(sensor=sensor, owner=request.user, seconds=seconds)
    except SensorNotCollectable as refusal:
        raise ValidationError({field: [str(refusal)]}) from None
    except CollectQueueUnavailable as outage:
        raise QueueUnavailable(str(outage)) from None
    body = CollectJobOutput(job).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class SensorCollectApi(APIView):
    @extend_schema(request=CollectInput, responses={202: CollectJobOutput, 503: None})
    def post(self, request, sensor_id: str):
        """Read this BLE sensor now; returns at once with a job to poll."""
        sensor = sensor_get(user=request.user, sensor_id=sensor_id)
        data = CollectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _collect_accepted(request, sensor=sensor, seconds=data.validated_data.get("seconds") or 0, field="sensor")


class CollectDataApi(APIView):
    @extend_schema(request=CollectDataInput, responses={202: CollectJobOutput, 503: None})
    def post(self, request):
        """The first system's name for collect on demand: `{device_id, seconds}`."""
        data = CollectDataInput(data=request.data)
        data.is_valid(raise_exception=True)
        sensor = sensor_list(user=request.user).filter(pk=data.validated_data["device_id"]).first()
        if sensor is None:
            raise ValidationError({"device_id": ["No sensor with this id."]})
        return _collect_accepted(request, sensor=sensor, seconds=data.validated_data.get("seconds") or 0,
                                 field="device_id")


class CollectJobApi(APIView):
    @extend_schema(responses={200: CollectJobOutput})
    def get(self, request, job_id: str):
        """A collect job's state: queued, running, succeeded (with counts) or failed (with the reason)."""
        return Response(CollectJobOutput(collect_job_get(user=request.user, job_id=job_id)).data)
