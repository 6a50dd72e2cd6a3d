"""Typed wire models of the API's requests and answers.

tests/test_contract.py checks every field's name, type and requiredness against what the
running server's `/api/schema/` says the operation takes or returns (by operation, not by
component name: the server may rename its serializers). Answers allow fields the client
does not know yet (a newer server adds some).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class TokenPair(WireModel):
    access: str
    refresh: str


class Profile(WireModel):
    username: str
    email: str
    is_staff: bool
    display_name: str = ""
    timezone: str = "UTC"
    preferences: Any = None


DeviceType = Literal["imu", "energy_meter", "eye_tracker", "environment", "other"]
SensorStatus = Literal["active", "inactive", "error"]


class Sensor(WireModel):
    id: str
    name: str
    device_type: str = "imu"
    mac_address: str | None = None
    ble_profile: str = ""
    status: str = "active"
    owner: str
    created_at: datetime
    updated_at: datetime
    last_seen: datetime | None
    battery_level: int | None
    signal_strength: int | None
    online: bool
    connected_since: datetime | None
    last_message_at: datetime | None


class SensorCreated(Sensor):
    token: str


class DeviceToken(WireModel):
    token: str


class Command(WireModel):
    id: str
    sensor: str
    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    ttl_seconds: int | None = None
    status: str
    reply: Any
    created_by: str | None
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None


class Vector(WireModel):
    x: float
    y: float
    z: float


class Reading(WireModel):
    """The users' SensorReading (IMU) or a metric reading (`metrics`)."""

    sensor_id: str
    timestamp: str | int
    acceleration: Vector | None = None
    gyroscope: Vector | None = None
    battery_level: int | None = Field(default=None, ge=0, le=100)
    signal_strength: int | None = None
    metrics: dict[str, float] | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class RejectedReading(WireModel):
    index: int
    errors: dict[str, Any]


class IngestResult(WireModel):
    accepted: int
    rejected: list[RejectedReading]


class ReadingsPage(WireModel):
    sensor_id: str
    kind: str
    start: datetime | None  # None: no range asked, the newest readings however old
    end: datetime | None
    order: str
    bucket: str | None
    bucket_chosen_by_server: bool
    fields: list[Any]
    count: int
    next_cursor: str | None
    next: str | None
    results: list[dict[str, Any]]


class DailyTotal(WireModel):
    date: date
    total: float
    readings: int


class DailyTotals(WireModel):
    sensor_id: str
    metric: str
    start: date
    end: date
    tz: str
    last_reading_at: datetime | None
    days: list[DailyTotal]


class BlinkRecord(WireModel):
    """One tracked interval. `client_id` makes a resend harmless: the server stores it once."""

    client_id: str
    timestamp: str
    blink_count: int = Field(ge=0)
    interval_s: float
    screen_time_s: float | None = None
    session_id: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


Outcome = Literal["created", "duplicate", "rejected"]


class RecordOutcome(WireModel):
    index: int
    client_id: str | None
    outcome: Outcome
    errors: dict[str, Any] = Field(default_factory=dict)


class SyncResult(WireModel):
    sensor_id: str
    created: int
    duplicates: int
    rejected: int
    cursor: str | None
    results: list[RecordOutcome]


class BlinkBucket(WireModel):
    start: datetime
    blinks: int
    tracked_s: float
    blinks_per_min: float | None
    records: int


class BlinkTotal(WireModel):
    blinks: int
    tracked_s: float
    blinks_per_min: float | None


class BlinkStats(WireModel):
    bucket: Literal["hour", "day"]
    tz: str
    buckets: list[BlinkBucket]
    total: BlinkTotal


class Product(WireModel):
    id: int
    name: str
    location: str = ""
    status: str = ""
    created_at: datetime
    updated_at: datetime


class ProductEvent(WireModel):
    id: int
    event_type: str
    location: str = ""
    note: str = ""
    source: str
    created_by: str | None
    created_at: datetime | None = None


class ProductDetail(Product):
    events: list[ProductEvent] = Field(default_factory=list)


class ProductEventRecorded(WireModel):
    product: Product
    event: ProductEvent
    created: bool
    message: str


class ParsedCommand(WireModel):
    name: str
    location: str | None
    event_type: str


class ProductCommandOutput(WireModel):
    parsed: ParsedCommand
    recorded: bool
    message: str
    product: Product | None
    event: ProductEvent | None = None
    created: bool
    similar: list[Product] = Field(default_factory=list)


class ExportJob(WireModel):
    id: str
    sensor: str
    kind: Literal["imu", "metric", "blink"]
    start: datetime
    end: datetime
    status: str = "pending"
    rows: int | None = None
    size_bytes: int | None = None
    attempts: int = 0
    error: str = ""
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    download_url: str | None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class ErrorBody(WireModel):
    error: str
    details: dict[str, Any]


ALL_MODELS: tuple[type[WireModel], ...] = (
    TokenPair, Profile, Sensor, SensorCreated, DeviceToken, Command, Vector, Reading, RejectedReading,
    IngestResult, ReadingsPage, DailyTotal, DailyTotals, BlinkRecord, RecordOutcome, SyncResult, BlinkBucket,
    BlinkTotal, BlinkStats, Product, ProductEvent, ProductDetail, ProductEventRecorded, ParsedCommand,
    ProductCommandOutput, ExportJob, ErrorBody,
)
