"""Raw packet recordings (JSON lines) and their replay through the same decoders and ingest.

A recording holds two kinds of line, in arrival order:
  {"event": "connect", "address", "sensor_id", "profile", "host_time", "rssi"}
  {"address", "characteristic", "host_time", "hex"}
A connect line starts a fresh decoder, exactly as a new connection does when listening live,
so replaying a recording yields the readings the live gateway produced from it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .decoders import UnknownProfile
from .pipeline import Counters, SensorStream, Session, Target

Ingest = Callable[[list[dict]], Awaitable["int | None"]]


class RecordingError(ValueError):
    pass


class Recorder:
    """Appends packets to a JSON-lines file, flushing each line so a crash loses at most one."""

    def __init__(self, path: str | Path) -> None:
        self._file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def connect(self, *, target: Target, host_time: float, rssi: int | None) -> None:
        self._write(
            {
                "event": "connect",
                "address": target.address,
                "sensor_id": target.sensor_id,
                "profile": target.profile,
                "host_time": host_time,
                "rssi": rssi,
            }
        )

    def packet(self, *, address: str, characteristic: str, host_time: float, data: bytes) -> None:
        self._write({"address": address, "characteristic": characteristic, "host_time": host_time, "hex": data.hex()})

    def _write(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class _Line:
    number: int
    record: dict


def _lines(path: Path) -> Iterator[_Line]:
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                raise RecordingError(f"{path}:{number}: not JSON ({error.msg})") from None
            if not isinstance(record, dict) or "address" not in record or "host_time" not in record:
                raise RecordingError(f"{path}:{number}: a record needs address and host_time")
            yield _Line(number, record)


async def replay(
    path: str | Path,
    *,
    ingest: Ingest,
    targets: Iterable[Target] = (),
    batch_size: int = 500,
    counters: Counters | None = None,
) -> Counters:
    """Feed a recording through the decoders into `ingest`. Registered `targets` (matched by
    address) decide sensor id and profile; otherwise the recording's connect line does."""
    path = Path(path)
    counters = counters or Counters()
    registered = {target.address.upper(): target for target in targets}
    streams: dict[str, SensorStream] = {}
    sessions: dict[str, Session] = {}
    batch: list[dict] = []
    for line in _lines(path):
        record = line.record
        address = str(record["address"]).upper()
        if record.get("event") == "connect":
            target = registered.get(address) or _target_from(record, path, line.number)
            stream = streams.get(address)
            if stream is None or stream.target != target:
                stream = streams[address] = SensorStream(target, counters)
            try:
                sessions[address] = stream.open_session(rssi=record.get("rssi"))
            except UnknownProfile as error:
                raise RecordingError(f"{path}:{line.number}: {error}") from None
            continue
        session = sessions.get(address)
        if session is None:
            raise RecordingError(f"{path}:{line.number}: packet from {address} before its connect line")
        try:
            data = bytes.fromhex(record["hex"])
            characteristic = str(record["characteristic"]).lower()
            host_time = float(record["host_time"])
        except (KeyError, TypeError, ValueError):
            raise RecordingError(f"{path}:{line.number}: a packet needs characteristic, host_time and hex") from None
        batch.extend(session.process(characteristic, host_time, data))
        if len(batch) >= batch_size:
            counters.rejected += await ingest(batch) or 0
            batch = []
    if batch:
        counters.rejected += await ingest(batch) or 0
    return counters


def _target_from(record: dict, path: Path, number: int) -> Target:
    try:
        return Target(sensor_id=str(record["sensor_id"]), address=str(record["address"]).upper(), profile=str(record["profile"]))
    except KeyError:
        raise RecordingError(f"{path}:{number}: connect line without sensor_id/profile for an unregistered address") from None
