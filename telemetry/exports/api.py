"""POST /exports (queue a CSV export to S3), GET /exports, GET /exports/{id} (with a download URL when done)."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import storage
from core.pagination import PageNumberPagination
from sensors.selectors import sensor_list
from telemetry.exports import selectors, services
from core.datetimes import AwareDateTimeField
from telemetry.exports.serializers import ExportJobSerializer
from telemetry.models import ExportKind, ExportStatus


class StorageNotConfigured(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Exports need S3 storage, and it is not configured."
    default_code = "storage_not_configured"


def _job_body(job) -> dict:
    urls = {}
    if job.status == ExportStatus.DONE:
        urls[job.pk] = storage.download_url(bucket=job.bucket, key=job.key, filename=job.filename)
    return ExportJobSerializer(job, context={"download_urls": urls}).data


class ExportListApi(APIView):
    """Your export jobs, newest first; POST queues a new one (202) for one of your sensors."""

    class InputSerializer(serializers.Serializer):
        sensor = serializers.CharField(max_length=50, help_text="Id of one of your sensors")
        start = AwareDateTimeField(help_text="ISO 8601 with a zone, or epoch milliseconds (inclusive)")
        end = AwareDateTimeField(help_text="ISO 8601 with a zone, or epoch milliseconds (exclusive)")
        kind = serializers.ChoiceField(choices=ExportKind.choices, required=False,
                                       help_text="Default: blink for eye trackers, imu for IMUs, metric otherwise")

    pagination_class = PageNumberPagination  # also tells the schema the list is paginated

    @extend_schema(responses={200: ExportJobSerializer(many=True)})
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.export_jobs_of(user=request.user), request, view=self)
        return paginator.get_paginated_response(ExportJobSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={202: ExportJobSerializer})
    def post(self, request):
        given = self.InputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        sensor = sensor_list(user=request.user).filter(pk=data["sensor"]).first()
        if sensor is None:
            raise exceptions.ValidationError({"sensor": ["Unknown sensor."]})
        try:
            job = services.export_job_create(user=request.user, sensor=sensor, kind=data.get("kind"),
                                             start=data["start"], end=data["end"])
        except storage.StorageDisabled as exc:
            raise StorageNotConfigured(str(exc)) from exc
        except services.ExportInvalid as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from exc
        job.refresh_from_db()  # the embedded setup may have run it already
        response = Response(_job_body(job), status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/exports/{job.pk}"
        return response


class ExportDetailApi(APIView):
    """One of your export jobs; when done, `download_url` is a fresh presigned URL
    (valid S3_PRESIGN_EXPIRES_S seconds). Another user's job is a 404."""

    @extend_schema(responses={200: ExportJobSerializer})
    def get(self, request, job_id):
        return Response(_job_body(selectors.export_job_get(user=request.user, job_id=job_id)))
