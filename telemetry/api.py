from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PayloadTooLarge
from sensors.authentication import DeviceTokenAuthentication, DevicePrincipal
from telemetry import ingest
from telemetry.http_ingest import ingest_response
from telemetry.serializers import IngestResultSerializer, ReadingBatchSerializer

READING_EXAMPLE = {
    "sensor_id": "imu-001",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "acceleration": {"x": 0.01, "y": -0.02, "z": 9.81},
    "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3},
    "battery_level": 87,
    "signal_strength": -61,
}


def json_body(request) -> object:
    try:
        return ingest.payload_decode(request.body)
    except ingest.MalformedJson as exc:
        raise exceptions.ParseError(str(exc)) from exc


class StorageUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Storage is unavailable; retry later."
    default_code = "storage_unavailable"


class IngestApi(APIView):
    """Accept one reading, an array, or {"readings": [...]} (at most 10,000 or 4 MB).

    Devices authenticate with `Authorization: Device <token>` and may only send their
    own sensor's readings; people with a JWT or session may send their own sensors'.
    Answers 202 once the batch is durably handed to storage, listing each rejected
    reading by index; 422 when none is valid.
    """

    authentication_classes = [DeviceTokenAuthentication, *APIView.authentication_classes]
    source = "http"

    @extend_schema(
        request=ReadingBatchSerializer,
        responses={202: IngestResultSerializer, 413: OpenApiResponse(description="Too many readings or too large"),
                   422: IngestResultSerializer,
                   503: OpenApiResponse(description="Broker or database down: nothing was accepted, retry")},
        examples=[OpenApiExample("One reading", value=READING_EXAMPLE),
                  OpenApiExample("A batch", value={"readings": [READING_EXAMPLE]})],
    )
    def post(self, request):
        if request.content_type and not request.content_type.startswith("application/json"):
            raise exceptions.UnsupportedMediaType(request.content_type)
        payload = json_body(request)
        caller = request.user
        device = caller.sensor if isinstance(caller, DevicePrincipal) else None
        try:
            result = ingest.accept(payload=payload, source=self.source, device=device,
                                   user=None if device else caller)
        except ingest.BatchTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from exc
        except ingest.PayloadInvalid as exc:
            raise exceptions.ValidationError({"readings": [str(exc)]}) from exc
        except ingest.ColdPathUnavailable as exc:
            raise StorageUnavailable(str(exc)) from exc
        status_code, body = ingest_response(result)
        return Response(body, status=status_code)


class StoreDataApi(IngestApi):
    """The first system's name for ingest: same contract as POST /api/v1/data/ingest."""

    source = "http-store-data"
