"""The API's areas, as attributes of SensoriumClient: `api.sensors`, `api.readings`,
`api.blinks`, `api.products`, `api.exports`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from sensorium_client.errors import SensoriumError, ServerUnreachable, error_from_response
from sensorium_client.models import (
    BlinkRecord, BlinkStats, Command, DailyTotals, DeviceToken, ExportJob, IngestResult, ProductCommandOutput,
    ProductDetail, ProductEventRecorded, Product, Reading, ReadingsPage, Sensor, SensorCreated, SyncResult,
)

if TYPE_CHECKING:
    from sensorium_client.client import SensoriumClient

INGEST_BATCH_MAX = 10_000
SYNC_BATCH_MAX = 5_000


def _when(value: datetime | str | int | None) -> str | None:
    if value is None or isinstance(value, (str, int)):
        return None if value is None else str(value)
    if value.tzinfo is None:
        raise ValueError("timestamps must carry a time zone")
    return value.isoformat()


def _params(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _wire(item: Reading | BlinkRecord | dict) -> dict:
    return item if isinstance(item, dict) else item.wire()


class Area:
    def __init__(self, client: SensoriumClient):
        self.client = client


class Sensors(Area):
    async def list(self, *, status: str | None = None, device_type: str | None = None,
                   search: str | None = None) -> list[Sensor]:
        """Every sensor of yours matching the filters (all pages)."""
        sensors, page = [], 1
        while True:
            body = await self.client.request("GET", "/api/v1/sensors", params=_params(
                status=status, device_type=device_type, search=search, page=page, page_size=100))
            sensors += [Sensor.model_validate(item) for item in body["results"]]
            if not body.get("next"):
                return sensors
            page += 1

    async def get(self, sensor_id: str) -> Sensor:
        return Sensor.model_validate(await self.client.request("GET", f"/api/v1/sensors/{sensor_id}"))

    async def create(self, *, id: str, name: str, device_type: str = "imu", mac_address: str | None = None,
                     ble_profile: str | None = None, status: str | None = None) -> SensorCreated:
        """Register a sensor; the answer holds its device token, shown this once."""
        body = _params(id=id, name=name, device_type=device_type, mac_address=mac_address, ble_profile=ble_profile,
                       status=status)
        return SensorCreated.model_validate(await self.client.request("POST", "/api/v1/sensors", json=body))

    async def update(self, sensor_id: str, **fields: Any) -> Sensor:
        return Sensor.model_validate(await self.client.request("PATCH", f"/api/v1/sensors/{sensor_id}", json=fields))

    async def delete(self, sensor_id: str) -> None:
        await self.client.request("DELETE", f"/api/v1/sensors/{sensor_id}")

    async def rotate_token(self, sensor_id: str) -> str:
        body = await self.client.request("POST", f"/api/v1/sensors/{sensor_id}/rotate-token")
        return DeviceToken.model_validate(body).token

    async def command(self, sensor_id: str, name: str, params: dict | None = None,
                      ttl_seconds: int | None = None) -> Command:
        body = await self.client.request("POST", f"/api/v1/sensors/{sensor_id}/commands",
                                         json=_params(name=name, params=params or {}, ttl_seconds=ttl_seconds))
        return Command.model_validate(body)

    async def commands(self, sensor_id: str) -> list[Command]:
        """Every command to the sensor, newest first (all pages)."""
        commands, page = [], 1
        while True:
            body = await self.client.request("GET", f"/api/v1/sensors/{sensor_id}/commands",
                                             params={"page": page, "page_size": 100})
            commands += [Command.model_validate(item) for item in body["results"]]
            if not body.get("next"):
                return commands
            page += 1


class Readings(Area):
    async def ingest(self, readings: Iterable[Reading | dict], *, device_token: str | None = None) -> IngestResult:
        """Send up to 10,000 readings in one request (as the signed-in user, or as a device
        with its token). Rejected readings are listed by index; a batch where none is valid
        (422) is a result too, not an exception."""
        batch = [_wire(item) for item in readings]
        if len(batch) > INGEST_BATCH_MAX:
            raise ValueError(f"at most {INGEST_BATCH_MAX} readings per request; send {len(batch)} in batches")
        body = await self.client.request("POST", "/api/v1/data/ingest", json={"readings": batch},
                                         auth=device_token or True, ok_statuses=(422,))
        return IngestResult.model_validate(body)

    async def query(self, sensor_id: str, *, start: datetime | str | None = None, end: datetime | str | None = None,
                    fields: Iterable[str] | None = None, order: str | None = None, limit: int | None = None,
                    cursor: str | None = None, metric: str | None = None, kind: str | None = None,
                    bucket: str | None = None) -> ReadingsPage:
        params = _params(start=_when(start), end=_when(end), fields=",".join(fields) if fields else None, order=order,
                         limit=limit, cursor=cursor, metric=metric, kind=kind, bucket=bucket)
        return ReadingsPage.model_validate(await self.client.request("GET", f"/api/v1/data/{sensor_id}",
                                                                     params=params))

    async def iterate(self, sensor_id: str, *, page_size: int = 1000, **query: Any) -> AsyncIterator[dict]:
        """Every raw reading of the range, following the keyset cursor page by page."""
        cursor = None
        while True:
            page = await self.query(sensor_id, limit=page_size, cursor=cursor, **query)
            for row in page.results:
                yield row
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def latest(self, sensor_id: str, *, metric: str | None = None) -> Reading:
        body = await self.client.request("GET", f"/api/v1/data/latest/{sensor_id}", params=_params(metric=metric))
        return Reading.model_validate(body)

    async def daily(self, sensor_id: str, *, metric: str = "energy_kwh", start: str | None = None,
                    end: str | None = None, tz: str | None = None) -> DailyTotals:
        body = await self.client.request("GET", f"/api/v1/data/{sensor_id}/daily",
                                         params=_params(metric=metric, start=start, end=end, tz=tz))
        return DailyTotals.model_validate(body)

    async def download_csv(self, sensor_id: str, path: str | os.PathLike, *, start: datetime | str | None = None,
                           end: datetime | str | None = None, kind: str | None = None, metric: str | None = None,
                           fields: Iterable[str] | None = None, order: str = "oldest") -> int:
        """Stream the range as CSV into `path` (written to a temporary name, renamed when
        complete). Returns the number of data rows."""
        params = _params(start=_when(start), end=_when(end), kind=kind, metric=metric, order=order, format="csv",
                         fields=",".join(fields) if fields else None)
        return await stream_to_file(self.client, f"/api/v1/data/{sensor_id}", path, params=params)


async def stream_to_file(client: SensoriumClient, url: str, path: str | os.PathLike, *, auth: bool = True,
                         params: dict | None = None) -> int:
    """GET `url` into `path` chunk by chunk; returns the number of lines after the header."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    lines = 0
    response = await client.send("GET", url, params=params, stream=True, auth=auth)
    try:
        with partial.open("wb") as out:
            async for chunk in response.aiter_bytes():
                out.write(chunk)
                lines += chunk.count(b"\n")
    finally:
        await response.aclose()
    partial.replace(target)
    return max(0, lines - 1)


class Blinks(Area):
    async def track(self, record: BlinkRecord | dict) -> SyncResult:
        """One record (201 created, 200 duplicate: both are a SyncResult with one outcome)."""
        body = await self.client.request("POST", "/api/v1/blink/track", json=_wire(record), ok_statuses=(422,))
        return SyncResult.model_validate(body)

    async def sync(self, records: Iterable[BlinkRecord | dict]) -> SyncResult:
        batch = [_wire(item) for item in records]
        if len(batch) > SYNC_BATCH_MAX:
            raise ValueError(f"at most {SYNC_BATCH_MAX} records per sync; send {len(batch)} in batches")
        return SyncResult.model_validate(await self.client.request("POST", "/api/v1/blink/sync",
                                                                   json={"records": batch}))

    async def stats(self, *, start: datetime | str | None = None, end: datetime | str | None = None,
                    bucket: str = "hour", tz: str | None = None) -> BlinkStats:
        params = _params(bucket=bucket, tz=tz, **{"from": _when(start), "to": _when(end)})
        return BlinkStats.model_validate(await self.client.request("GET", "/api/v1/blink/stats", params=params))


class Products(Area):
    async def event(self, *, name: str, event_type: str, location: str = "", note: str = "",
                    source: str = "api") -> ProductEventRecorded:
        body = await self.client.request("POST", "/api/v1/products/events", json={
            "name": name, "event_type": event_type, "location": location, "note": note, "source": source})
        return ProductEventRecorded.model_validate(body)

    async def command(self, text: str, *, dry_run: bool = False, source: str = "text",
                      note: str = "") -> ProductCommandOutput:
        """A sentence such as "move the drill to shelf B", parsed and recorded by the server."""
        body = await self.client.request("POST", "/api/v1/products/commands", json={
            "text": text, "dry_run": dry_run, "source": source, "note": note})
        return ProductCommandOutput.model_validate(body)

    async def list(self, *, search: str | None = None, location: str | None = None) -> list[Product]:
        products, page = [], 1
        while True:
            body = await self.client.request("GET", "/api/v1/products",
                                             params=_params(search=search, location=location, page=page))
            products += [Product.model_validate(item) for item in body["results"]]
            if not body.get("next"):
                return products
            page += 1

    async def get(self, product_id: int) -> ProductDetail:
        return ProductDetail.model_validate(await self.client.request("GET", f"/api/v1/products/{product_id}"))


class Exports(Area):
    async def create(self, *, sensor: str, start: datetime | str, end: datetime | str,
                     kind: str | None = None) -> ExportJob:
        """Ask for a CSV (gzip) of the range in S3; 503 (ServerError) when S3 is not set up."""
        body = await self.client.request("POST", "/api/v1/exports",
                                         json=_params(sensor=sensor, start=_when(start), end=_when(end), kind=kind))
        return ExportJob.model_validate(body)

    async def get(self, job_id: str) -> ExportJob:
        return ExportJob.model_validate(await self.client.request("GET", f"/api/v1/exports/{job_id}"))

    async def list(self) -> list[ExportJob]:
        return [ExportJob.model_validate(item) for item in await self.client.request("GET", "/api/v1/exports")]

    async def wait(self, job_id: str, *, poll_s: float = 0.5, timeout_s: float = 600) -> ExportJob:
        """Poll until the job is done or failed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            job = await self.get(job_id)
            if job.finished:
                return job
            if loop.time() > deadline:
                raise TimeoutError(f"export {job_id} still {job.status} after {timeout_s}s")
            await asyncio.sleep(poll_s)

    async def download(self, job: ExportJob, path: str | os.PathLike) -> int:
        """Fetch a done job's file (gzip CSV) from its presigned URL; returns its size."""
        if job.status != "done" or not job.download_url:
            raise SensoriumError(f"export {job.id} is {job.status}: nothing to download yet")
        target = Path(path)
        size = 0
        try:
            async with httpx.AsyncClient(timeout=60) as plain, plain.stream("GET", job.download_url) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(response.status_code, response.text)
                with target.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                        size += len(chunk)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"export download failed: {exc}") from exc
        return size
