"""The HTTP transport: `POST /api/v1/data/ingest` (and the first system's `/store-data/`).

The fast path for devices sits in front of Django in the ASGI stack.

`POST /api/v1/data/ingest` and `/api/v1/store-data/` with `Authorization: Device <token>`
are answered here on the event loop: no middleware thread hops, no DRF parsing, one
msgspec decode, the device token looked up once per TTL (and at once after a rotation),
the broker publish off the loop.
Everything else (people with a JWT or session, other paths) goes on to Django, where
`IngestApi` below serves the same contract. Bodies whose Content-Length is over
the limit are refused before a byte of them is read. Every answer from here carries what
Django's middleware would have added: X-Request-ID, the security headers, CORS.
"""

import logging
import time
from types import SimpleNamespace
from typing import Any

import msgspec
from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_body
from core.logs import REQUEST_ID_HEADER, log_context, request_id_choose
from core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from sensors.authentication import DEVICE_KEYWORD, DeviceTokenAuthentication, DevicePrincipal, device_token_from_header
from telemetry import ingest
from telemetry.serializers import IngestResultSerializer, ReadingBatchSerializer
from transports import devices

logger = logging.getLogger(__name__)

INGEST_ROUTES = {"/api/v1/data/ingest": "http", "/api/v1/store-data/": "http-store-data"}
_encoder = msgspec.json.Encoder()
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode()


def body_too_large(limit: int) -> dict[str, Any]:
    return error_body(f"Request body too large: at most {limit} bytes.", {"body": [f"At most {limit} bytes."]})


_cors = CorsMiddleware(get_response=lambda request: None)  # only its header logic is used


def _cors_headers(scope, headers: dict[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The CORS headers django-cors-headers gives every other /api/ response, so a browser
    posting with a device token can read the answer (preflights go on to Django: not POST)."""
    origin = headers.get(b"origin")
    request = SimpleNamespace(method="POST", path_info=scope["path"],
                              headers={} if origin is None else {"origin": origin.decode("latin-1")})
    response = HttpResponse()
    _cors.add_response_headers(request, response)
    return [(name.lower().encode(), value.encode("latin-1")) for name, value in response.items()
            if name.lower() != "content-type"]


# The headers Django's SecurityMiddleware and XFrameOptionsMiddleware put on every response,
# computed by those middlewares themselves from the settings (once per scheme, again after a
# setting changes), so the fast path cannot drift from what Django sends.
_security_headers_by_scheme: dict[bool, list[tuple[bytes, bytes]]] = {}


def _security_headers(secure: bool) -> list[tuple[bytes, bytes]]:
    headers = _security_headers_by_scheme.get(secure)
    if headers is None:
        request, response = HttpRequest(), HttpResponse()
        request.is_secure = lambda: secure
        for middleware in (SecurityMiddleware, XFrameOptionsMiddleware):
            response = middleware(get_response=lambda request: None).process_response(request, response)
        headers = [(name.lower().encode(), value.encode("latin-1")) for name, value in response.items()
                   if name.lower() != "content-type"]
        _security_headers_by_scheme[secure] = headers
    return headers


def _settings_changed(**kwargs) -> None:
    _security_headers_by_scheme.clear()


setting_changed.connect(_settings_changed)


def _is_secure(scope, headers: dict[bytes, bytes]) -> bool:
    """HttpRequest.is_secure for this scope: the proxy's header when one is configured."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        given = headers.get(meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if given is not None:
            return given.decode("latin-1").split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") == "https"


def _middleware_headers(scope, headers: dict[bytes, bytes], request_id: str) -> list[tuple[bytes, bytes]]:
    """What Django's middleware would add to this request's answer: the request id
    (core.logs.RequestContextMiddleware), the security headers, CORS."""
    return [(_REQUEST_ID_KEY, request_id.encode()), *_security_headers(_is_secure(scope, headers)),
            *_cors_headers(scope, headers)]


async def _respond(send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = _encoder.encode(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


async def _body_read(receive, limit: int) -> bytes | None:
    """The whole body, or None when it grows past `limit` (a chunked upload) or the client left."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _served_here(scope, headers: dict[bytes, bytes]) -> bool:
    """Host checks and the HTTPS redirect stay Django's: anything they would refuse goes there."""
    host, _ = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    if not validate_host(host, settings.ALLOWED_HOSTS):
        return False
    return not settings.SECURE_SSL_REDIRECT or _is_secure(scope, headers)


class IngestFastPath:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        source = INGEST_ROUTES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if source is None or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = headers.get(b"content-length", b"")
        request_id = request_id_choose(headers.get(_REQUEST_ID_KEY, b"").decode("latin-1"))
        if declared.isdigit() and int(declared) > limit:
            return await _respond(send, 413, body_too_large(limit), _middleware_headers(scope, headers, request_id))
        token = device_token_from_header(headers.get(b"authorization", b"").decode("latin-1"))
        if token is None or not _served_here(scope, headers):
            return await self.app(scope, receive, send)

        started = time.perf_counter()
        with log_context(request_id=request_id):
            status, body, extra = await self._handle(receive, headers, token, source, limit)
        await _respond(send, status, body, [*extra, *_middleware_headers(scope, headers, request_id)])
        route = scope["path"].lstrip("/")
        HTTP_LATENCY.labels("POST", route).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels("POST", route, str(status)).inc()

    async def _handle(self, receive, headers, token: str, source: str, limit: int):
        content_type = headers.get(b"content-type", b"application/json").decode("latin-1")
        if not content_type.startswith("application/json"):
            return 415, error_body(f'Unsupported media type "{content_type}" in request.'), []
        raw = await _body_read(receive, limit)
        if raw is None:
            return 413, body_too_large(limit), []
        sensor = await devices.device_tokens.sensor_for(token)
        if sensor is None:
            return 401, error_body("Invalid device token."), [(b"www-authenticate", DEVICE_KEYWORD.encode())]
        try:
            result = await ingest.accept_async(payload=ingest.payload_decode(raw), source=source, device=sensor)
        except devices.INGEST_ERRORS as exc:
            outcome = devices.ingest_outcome(error=exc)
        except Exception:
            logger.exception("Ingest fast path failed")
            return 500, error_body("Internal server error."), []
        else:
            outcome = devices.ingest_outcome(result=result)
        return outcome.status, outcome.body, _RETRY_AFTER if outcome.retry else []


_RETRY_AFTER = [(b"retry-after", str(devices.RETRY_AFTER_S).encode())]


# --- The same contract through Django (people with a JWT or session; devices whose
# request the fast path passed on) ----------------------------------------------------------

READING_EXAMPLE = {
    "sensor_id": "imu-001",
    "timestamp": "2026-11-22T10:00:00.123Z",
    "acceleration": {"x": 0.01, "y": -0.02, "z": 9.81},
    "gyroscope": {"x": 0.1, "y": 0.0, "z": -0.3},
    "battery_level": 87,
    "signal_strength": -61,
}


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
        caller = request.user
        device = caller.sensor if isinstance(caller, DevicePrincipal) else None
        try:
            result = ingest.accept(payload=ingest.payload_decode(request.body), source=self.source, device=device,
                                   user=None if device else caller)
        except devices.INGEST_ERRORS as exc:
            outcome = devices.ingest_outcome(error=exc)
        else:
            outcome = devices.ingest_outcome(result=result)
        return Response(outcome.body, status=outcome.status,
                        headers={"Retry-After": str(devices.RETRY_AFTER_S)} if outcome.retry else None)


class StoreDataApi(IngestApi):
    """The first system's name for ingest: same contract as POST /api/v1/data/ingest."""

    source = "http-store-data"
