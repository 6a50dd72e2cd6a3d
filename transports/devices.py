"""What every device transport shares (HTTP, the device WebSocket, next MQTT).

- `device_tokens`: token → Sensor, cached per process, checked against the token's
  credential generation in the shared cache on every use (sensors/credentials.py).
- `IngestOutcome`: what ingest made of a batch, written once for every transport; each
  transport turns it into its reply (an HTTP response, an ack or error frame, an MQTT ack).
Presence and command delivery are the registry's (sensors.presence, sensors.services);
a transport calls them on connect, on each frame and on disconnect.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from core.errors import error_body
from sensors.credentials import UNKNOWN, credentials_generation
from sensors.models import Sensor
from sensors.selectors import sensor_get_by_token
from sensors.tokens import device_token_hash
from telemetry import ingest

# Everything ingest raises for a batch it did not take; anything else is a bug (a 500).
INGEST_ERRORS = (ingest.MalformedJson, ingest.PayloadInvalid, ingest.BatchTooLarge, ingest.ColdPathUnavailable)
RETRY_AFTER_S = 5


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


@dataclass(frozen=True)
class IngestOutcome:
    """`status` is the HTTP status the outcome means; `body` the JSON answer in the API's
    shapes (the result report, or the error shape naming the field)."""

    status: int
    body: dict[str, Any]
    rejected: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status == 202

    @property
    def retry(self) -> bool:
        """Nothing was taken because storage is down: the sender should retry later."""
        return self.status == 503

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return self.body.get("details") or {"readings": [self.body.get("error", "")]}


def ingest_outcome(*, result: ingest.IngestResult | None = None, error: Exception | None = None) -> IngestOutcome:
    """The one mapping of ingest's result or exception to a reply."""
    if result is not None:
        if result.accepted == 0 and result.rejected:
            body = error_body("No reading was valid.", {"readings": ["Every reading was rejected."]})
            body.update(result.as_dict())
            return IngestOutcome(422, body, result.rejected)
        return IngestOutcome(202, result.as_dict(), result.rejected)
    if isinstance(error, ingest.PayloadInvalid):
        return IngestOutcome(400, error_body(f"readings: {error}", {"readings": [str(error)]}))
    if isinstance(error, ingest.MalformedJson):
        return IngestOutcome(400, error_body(str(error)))
    if isinstance(error, ingest.BatchTooLarge):
        return IngestOutcome(413, error_body(str(error)))
    if isinstance(error, ingest.ColdPathUnavailable):
        return IngestOutcome(503, error_body(str(error)))
    raise TypeError(f"Not an ingest outcome: {error!r}")
