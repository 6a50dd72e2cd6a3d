"""Bulk import of readings from CSV or JSON-lines files, in batches, naming every rejected
line. The server validates; the importer only shapes rows into the wire format.

CSV: a header row. `sensor_id` (or `--sensor`), `timestamp` (ISO 8601 with a zone, or
epoch milliseconds), then either IMU columns (`accel_x..z`, `gyro_x..z`, `battery_level`,
`signal_strength`: the export's names) or metric columns (`voltage`, `temperature`, …),
or the export's long metric form `timestamp,name,value`. Empty cells are left out.
JSONL: one reading per line in the wire format.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sensorium_client.client import SensoriumClient

VECTOR_COLUMNS = {"accel_x": ("acceleration", "x"), "accel_y": ("acceleration", "y"), "accel_z": ("acceleration", "z"),
                  "gyro_x": ("gyroscope", "x"), "gyro_y": ("gyroscope", "y"), "gyro_z": ("gyroscope", "z")}
INTEGER_COLUMNS = ("battery_level", "signal_strength")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    errors: dict[str, Any]
    raw: Any

    @property
    def reason(self) -> str:
        return "; ".join(f"{name}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                         for name, messages in self.errors.items())


@dataclass
class ImportSummary:
    rows: int = 0
    accepted: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    reading: dict | None
    raw: Any
    errors: dict | None = None


def _number(text: str) -> float | int | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # the server names the field


def _csv_reading(row: dict[str, str], default_sensor: str | None) -> dict:
    cells = {key.strip(): value.strip() for key, value in row.items() if key and value is not None and value.strip()}
    reading: dict[str, Any] = {"sensor_id": cells.pop("sensor_id", default_sensor)}
    timestamp = cells.pop("timestamp", None)
    reading["timestamp"] = int(timestamp) if timestamp and timestamp.isdigit() else timestamp
    if "name" in cells and "value" in cells:
        reading["metrics"] = {cells.pop("name"): _number(cells.pop("value"))}
    for column, (group, axis) in VECTOR_COLUMNS.items():
        if column in cells:
            reading.setdefault(group, {})[axis] = _number(cells.pop(column))
    for column in INTEGER_COLUMNS:
        if column in cells:
            reading[column] = _number(cells.pop(column))
    if cells:
        reading.setdefault("metrics", {}).update({name: _number(value) for name, value in cells.items()})
    return reading


def _bytes_lines(path: Path, on_progress: Callable[[int], None] | None) -> Iterator[str]:
    with path.open("rb") as handle:
        for line in handle:
            if on_progress:
                on_progress(len(line))
            yield line.decode("utf-8-sig")


def _rows(path: Path, default_sensor: str | None, on_progress) -> Iterator[_Row]:
    lines = _bytes_lines(path, on_progress)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                reading = json.loads(text)
            except ValueError as exc:
                yield _Row(number, None, text.strip(), {"line": [f"not JSON: {exc}"]})
                continue
            if not isinstance(reading, dict):
                yield _Row(number, None, reading, {"line": ["expected one JSON object per line"]})
                continue
            if default_sensor and not reading.get("sensor_id"):
                reading["sensor_id"] = default_sensor
            yield _Row(number, reading, reading)
        return
    reader = csv.DictReader(lines)
    for row in reader:
        if None in row:  # more cells than the header names
            yield _Row(reader.line_num, None, row, {"line": [f"{len(row[None])} cells more than the header has"]})
            continue
        yield _Row(reader.line_num, _csv_reading(row, default_sensor), row)


async def import_file(client: SensoriumClient, path: str | Path, *, default_sensor: str | None = None,
                      device_token: str | None = None, batch_size: int = 5000,
                      on_progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Send the file's readings in batches of `batch_size`; every rejected line is in
    the summary with the server's reasons (or the parser's, for a line that is not a row)."""
    summary = ImportSummary()
    batch: list[_Row] = []

    async def flush() -> None:
        if not batch:
            return
        result = await client.readings.ingest([row.reading for row in batch], device_token=device_token)
        summary.accepted += result.accepted
        for item in result.rejected:
            row = batch[item.index]
            summary.rejected.append(RejectedRow(row.line, item.errors, row.raw))
        batch.clear()

    for row in _rows(Path(path), default_sensor, on_progress):
        summary.rows += 1
        if row.reading is None:
            summary.rejected.append(RejectedRow(row.line, row.errors or {}, row.raw))
            continue
        batch.append(row)
        if len(batch) >= batch_size:
            await flush()
    await flush()
    summary.rejected.sort(key=lambda rejected: rejected.line)
    return summary
