"""The HTTP fast path for device ingest, in front of Django in the ASGI stack.

`POST /api/v1/data/ingest` and `/api/v1/store-data/` with `Authorization: Device <token>`
are answered here on the event loop: no middleware thread hops, no DRF parsing, one
msgspec decode, the device token looked up once per TTL (and at once after a rotation),
the broker publish off the loop.
Everything else (people with a JWT or session, other paths) goes on to Django, where
`telemetry.api.IngestApi` serves the same contract. Bodies whose Content-Length is over
the limit are refused before a byte of them is read.
"""

import logging
import time
from types import SimpleNamespace
from typing import Any

import msgspec
from asgiref.sync import sync_to_async
from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host

from core.errors import error_body
from core.metrics import HTTP_LATENCY, HTTP_REQUESTS
from sensors.authentication import DEVICE_KEYWORD, device_token_from_header
from sensors.credentials import UNKNOWN, credentials_generation
from sensors.models import Sensor
from sensors.selectors import sensor_get_by_token
from sensors.tokens import device_token_hash
from telemetry import ingest

logger = logging.getLogger(__name__)

INGEST_ROUTES = {"/api/v1/data/ingest": "http", "/api/v1/store-data/": "http-store-data"}
_encoder = msgspec.json.Encoder()


def ingest_response(result: ingest.IngestResult) -> tuple[int, dict[str, Any]]:
    """202 with the rejection report, or 422 in the error shape when nothing was valid."""
    if result.accepted == 0 and result.rejected:
        body = error_body("No reading was valid.", {"readings": ["Every reading was rejected."]})
        body.update(result.as_dict())
        return 422, body
    return 202, result.as_dict()


def body_too_large(limit: int) -> dict[str, Any]:
    return error_body(f"Request body too large: at most {limit} bytes.", {"body": [f"At most {limit} bytes."]})


class DeviceTokenCache:
    """token → Sensor for a few seconds, so a device posting many batches costs one
    database lookup per TTL. A rotated or revoked token, a deactivated or deleted sensor
    take effect at once in every process: each hit is checked against the token's
    credential generation in the shared cache (sensors/credentials.py); the TTL only bounds
    what a change made behind the services' back (a raw SQL update) can leave stale."""

    MAX_ENTRIES = 10_000

    def __init__(self):
        self._entries: dict[str, tuple[float, Sensor, Any]] = {}

    async def sensor_for(self, token: str) -> Sensor | None:
        now = time.monotonic()
        token_hash = device_token_hash(token)
        generation = await credentials_generation(token_hash=token_hash)
        hit = self._entries.get(token)
        if hit and hit[0] > now and hit[2] == generation and generation is not UNKNOWN:
            return hit[1]
        sensor = await sync_to_async(sensor_get_by_token)(token=token)
        if sensor is not None:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
            self._entries[token] = (now + settings.TELEMETRY_DEVICE_TOKEN_CACHE_S, sensor, generation)
        else:
            self._entries.pop(token, None)
        return sensor

    def clear(self) -> None:
        self._entries.clear()


device_tokens = DeviceTokenCache()


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
    if settings.SECURE_SSL_REDIRECT and scope.get("scheme") != "https":
        return headers.get(b"x-forwarded-proto", b"") == b"https"
    return True


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
        if declared.isdigit() and int(declared) > limit:
            return await _respond(send, 413, body_too_large(limit), _cors_headers(scope, headers))
        token = device_token_from_header(headers.get(b"authorization", b"").decode("latin-1"))
        if token is None or not _served_here(scope, headers):
            return await self.app(scope, receive, send)

        started = time.perf_counter()
        status, body, extra = await self._handle(receive, headers, token, source, limit)
        await _respond(send, status, body, [*extra, *_cors_headers(scope, headers)])
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
        sensor = await device_tokens.sensor_for(token)
        if sensor is None:
            return 401, error_body("Invalid device token."), [(b"www-authenticate", DEVICE_KEYWORD.encode())]
        try:
            result = await ingest.accept_async(payload=ingest.payload_decode(raw), source=source, device=sensor)
        except ingest.MalformedJson as exc:
            return 400, error_body(str(exc)), []
        except ingest.PayloadInvalid as exc:
            return 400, error_body(f"readings: {exc}", {"readings": [str(exc)]}), []
        except ingest.BatchTooLarge as exc:
            return 413, error_body(str(exc)), []
        except ingest.ColdPathUnavailable as exc:
            return 503, error_body(str(exc)), [(b"retry-after", b"5")]
        except Exception:
            logger.exception("Ingest fast path failed")
            return 500, error_body("Internal server error."), []
        status, body = ingest_response(result)
        return status, body, []
