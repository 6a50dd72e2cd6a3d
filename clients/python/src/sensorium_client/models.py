"""Typed wire models, one per schema component of the server's OpenAPI document.

`SCHEMA_NAME` on each class names the component it mirrors; tests/test_contract.py checks
every field's name, type and requiredness against the running server's `/api/schema/`.
Answers allow fields the client does not know yet (a newer server adds some).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    SCHEMA_NAME: ClassVar[str]


class TokenPair(WireModel):
    SCHEMA_NAME = "LoginOutput"
    access: str
    refresh: str


class Profile(WireModel):
    SCHEMA_NAME = "Profile"
    username: str
    email: str
    is_staff: bool
    display_name: str = ""
    timezone: str = "UTC"
    preferences: Any = None


DeviceType = Literal["imu", "energy_meter", "eye_tracker", "environment", "other"]
SensorStatus = Literal["active", "inactive", "error"]


class Sensor(WireModel):
    SCHEMA_NAME = "Sensor"
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
    SCHEMA_NAME = "SensorCreated"
    token: str


class DeviceToken(WireModel):
    SCHEMA_NAME = "DeviceToken"
    token: str


class Command(WireModel):
    SCHEMA_NAME = "Command"
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
    SCHEMA_NAME = "Vector"
    x: float
    y: float
    z: float


class Reading(WireModel):
    """The users' SensorReading (IMU) or a metric reading (`metrics`)."""

    SCHEMA_NAME = "Reading"
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
    SCHEMA_NAME = "RejectedReading"
    index: int
    errors: dict[str, Any]


class IngestResult(WireModel):
    SCHEMA_NAME = "IngestResult"
    accepted: int
    rejected: list[RejectedReading]


class ReadingsPage(WireModel):
    SCHEMA_NAME = "ReadingsOutput"
    sensor_id: str
    kind: str
    start: datetime
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
    SCHEMA_NAME = "DailyTotalsOutputDay"
    date: date
    total: float
    readings: int


class DailyTotals(WireModel):
    SCHEMA_NAME = "DailyTotalsOutput"
    sensor_id: str
    metric: str
    start: date
    end: date
    tz: str
    last_reading_at: datetime | None
    days: list[DailyTotal]


class BlinkRecord(WireModel):
    """One tracked interval. `client_id` makes a resend harmless: the server stores it once."""

    SCHEMA_NAME = "BlinkRecordRequest"
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
    SCHEMA_NAME = "BlinkSyncOutputOutcome"
    index: int
    client_id: str | None
    outcome: Outcome
    errors: dict[str, Any] = Field(default_factory=dict)


class SyncResult(WireModel):
    SCHEMA_NAME = "BlinkSyncOutput"
    sensor_id: str
    created: int
    duplicates: int
    rejected: int
    cursor: str | None
    results: list[RecordOutcome]


class BlinkBucket(WireModel):
    SCHEMA_NAME = "BlinkStatsOutputBucket"
    start: datetime
    blinks: int
    tracked_s: float
    blinks_per_min: float | None
    records: int


class BlinkTotal(WireModel):
    SCHEMA_NAME = "BlinkStatsOutputTotal"
    blinks: int
    tracked_s: float
    blinks_per_min: float | None


class BlinkStats(WireModel):
    SCHEMA_NAME = "BlinkStatsOutput"
    bucket: Literal["hour", "day"]
    tz: str
    buckets: list[BlinkBucket]
    total: BlinkTotal


class Product(WireModel):
    SCHEMA_NAME = "Product"
    id: int
    name: str
    location: str = ""
    status: str = ""
    created_at: datetime
    updated_at: datetime


class ProductEvent(WireModel):
    SCHEMA_NAME = "ProductEvent"
    id: int
    event_type: str
    location: str = ""
    note: str = ""
    source: str
    created_by: str | None
    created_at: datetime | None = None


class ProductDetail(Product):
    SCHEMA_NAME = "ProductDetail"
    events: list[ProductEvent] = Field(default_factory=list)


class ProductEventRecorded(WireModel):
    SCHEMA_NAME = "ProductEventCreateOutput"
    product: Product
    event: ProductEvent
    created: bool
    message: str


class ParsedCommand(WireModel):
    SCHEMA_NAME = "ProductCommandOutputParsed"
    name: str
    location: str | None
    event_type: str


class ProductCommandOutput(WireModel):
    SCHEMA_NAME = "ProductCommandOutput"
    parsed: ParsedCommand
    recorded: bool
    message: str
    product: Product | None
    event: ProductEvent | None = None
    created: bool
    similar: list[Product] = Field(default_factory=list)


class ExportJob(WireModel):
    SCHEMA_NAME = "ExportJob"
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
    SCHEMA_NAME = "Error"
    error: str
    details: dict[str, Any]


ALL_MODELS: tuple[type[WireModel], ...] = (
    TokenPair, Profile, Sensor, SensorCreated, DeviceToken, Command, Vector, Reading, RejectedReading,
    IngestResult, ReadingsPage, DailyTotal, DailyTotals, BlinkRecord, RecordOutcome, SyncResult, BlinkBucket,
    BlinkTotal, BlinkStats, Product, ProductEvent, ProductDetail, ProductEventRecorded, ParsedCommand,
    ProductCommandOutput, ExportJob, ErrorBody,
)
