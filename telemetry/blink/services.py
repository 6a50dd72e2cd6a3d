"""Blink writes: the tracker a user's records go to, and the track/sync adapters over ingest.

Records reach the database only through `telemetry.ingest.accept` (which calls
`blink_records_write` from its cold path), so they are broadcast live like any reading.
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sensors.models import DeviceType, Sensor
from sensors.services import sensor_create
from telemetry import ingest
from telemetry.blink.selectors import blink_client_ids_stored, blink_cursor, eye_tracker_get
from telemetry.blink.wire import BlinkRow
from telemetry.models import BlinkRecord
from users.models import User

MAX_SYNC_RECORDS = 5_000
RECORD_FIELDS = ("client_id", "timestamp", "blink_count", "interval_s")


class TooManyRecords(Exception):
    pass


@dataclass
class RecordOutcome:
    index: int
    client_id: str | None
    outcome: str  # created | duplicate | rejected
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        body = {"index": self.index, "client_id": self.client_id, "outcome": self.outcome}
        if self.errors:
            body["errors"] = self.errors
        return body


@dataclass
class SyncResult:
    sensor: Sensor
    outcomes: list[RecordOutcome]
    cursor: datetime | None

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)


def eye_tracker_ensure(*, user: User) -> Sensor:
    """The user's eye tracker, registered on first use."""
    sensor = eye_tracker_get(user=user)
    if sensor is not None:
        return sensor
    for sensor_id in (f"eye-tracker-{user.pk}", f"eye-tracker-{user.pk}-{secrets.token_hex(4)}"):
        try:
            with transaction.atomic():
                sensor, _token = sensor_create(owner=user, id=sensor_id, name=f"Eye tracker of {user.get_username()}",
                                               device_type=DeviceType.EYE_TRACKER)
            return sensor
        except (IntegrityError, ValidationError):
            # A concurrent first request made it, or the id belongs to someone else's sensor.
            sensor = eye_tracker_get(user=user)
            if sensor is not None:
                return sensor
    raise RuntimeError(f"Could not register an eye tracker for user {user.pk}.")


def blink_records_write(*, rows: list[BlinkRow]) -> int:
    """Store validated blink rows (cold path only); a client id already stored is skipped.
    Returns how many rows were handed in (ignored conflicts are not counted apart)."""
    if not rows:
        return 0
    owners = dict(Sensor.objects.filter(pk__in={r.sensor_id for r in rows}).values_list("pk", "owner_id"))
    BlinkRecord.objects.bulk_create(
        [BlinkRecord(sensor_id=r.sensor_id, user_id=owners[r.sensor_id], client_id=r.client_id,
                     timestamp=r.timestamp, blink_count=r.blink_count, interval_s=r.interval_s, extras=r.extras)
         for r in rows if r.sensor_id in owners],
        batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _client_id(record: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(record.get("client_id")))
    except (ValueError, AttributeError):
        return None


def _as_reading(record: dict[str, Any], sensor_id: str) -> dict[str, Any]:
    blink = {name: record[name] for name in ("client_id", "blink_count", "interval_s")}
    extras = record.get("extras") if isinstance(record.get("extras"), dict) else {}
    blink["extras"] = {**extras, **{name: value for name, value in record.items()
                                    if name not in RECORD_FIELDS and name != "extras"}}
    return {"sensor_id": sensor_id, "timestamp": record["timestamp"], "blink": blink}


def _record_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Ingest names fields inside the reading (`blink.blink_count`); the client sent them flat."""
    renamed = {}
    for name, problems in errors.items():
        name = name.removeprefix("blink.").removeprefix("extras.")
        renamed[name if name not in ("blink", "reading", "sensor_id") else "record"] = problems
    return renamed


def blink_records_sync(*, user: User, records: list[Any], source: str = "blink-sync") -> SyncResult:
    """Take a batch of offline records. Each gets an outcome: created, duplicate (its client
    id is stored already, or repeats an earlier record of this batch) or rejected with
    per-field reasons. Late and out-of-order records are fine; retrying stores nothing twice."""
    if len(records) > MAX_SYNC_RECORDS:
        raise TooManyRecords(f"A sync holds at most {MAX_SYNC_RECORDS} records; got {len(records)}.")
    sensor = eye_tracker_ensure(user=user)
    outcomes: list[RecordOutcome] = []
    candidates: list[tuple[RecordOutcome, uuid.UUID, dict[str, Any]]] = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            outcomes.append(RecordOutcome(index, None, "rejected", {"record": ["Each record must be a JSON object."]}))
            continue
        client_id = _client_id(record)
        outcome = RecordOutcome(index, str(record.get("client_id")) if "client_id" in record else None, "rejected")
        outcomes.append(outcome)
        missing = [name for name in RECORD_FIELDS if record.get(name) is None]
        if missing:
            outcome.errors = {name: ["This field is required."] for name in missing}
        elif client_id is None:
            outcome.errors = {"client_id": ["Must be a UUID generated by the client."]}
        else:
            outcome.client_id = str(client_id)
            candidates.append((outcome, client_id, record))

    stored = blink_client_ids_stored(sensor=sensor, client_ids={client_id for _, client_id, _ in candidates})
    seen: set[uuid.UUID] = set()
    sending: list[tuple[RecordOutcome, dict[str, Any]]] = []
    for outcome, client_id, record in candidates:
        if client_id in stored or client_id in seen:
            outcome.outcome = "duplicate"
        else:
            seen.add(client_id)
            sending.append((outcome, _as_reading(record, sensor.pk)))

    if sending:
        result = ingest.accept(payload=[reading for _, reading in sending], source=source, user=user)
        refused = {entry["index"]: entry["errors"] for entry in result.rejected}
        for position, (outcome, _) in enumerate(sending):
            if position in refused:
                outcome.errors = _record_errors(refused[position])
            else:
                outcome.outcome = "created"
    return SyncResult(sensor=sensor, outcomes=outcomes, cursor=blink_cursor(sensor=sensor))


def blink_records_expire(*, now: datetime) -> int:
    """Delete the blink records older than the eye tracker's retention (one DELETE; the
    table is not partitioned). Returns how many went."""
    cutoff = now - timedelta(days=settings.TELEMETRY_RETENTION_DAYS[DeviceType.EYE_TRACKER])
    return BlinkRecord.objects.filter(timestamp__lt=cutoff).delete()[0]
