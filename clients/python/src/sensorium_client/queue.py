"""The offline-first queue: records are written to SQLite first, then sent in batches.

    queue = OfflineQueue("cache.sqlite3")
    queue.put_blink({"client_id": str(uuid4()), "timestamp": ..., "blink_count": 14, "interval_s": 60})
    report = await queue.sync(api)          # sends what it can; never raises for "offline"

Guarantees:
- A record leaves the queue only when the server acknowledged it: `created` or
  `duplicate` for blink records, accepted for readings. One the server rejects moves to
  the `rejected` table with the server's reasons (see `rejected()`), never dropped.
- The process may be killed at any point. A batch the server stored but whose answer was
  lost is sent again; the server stores each blink record once (by `client_id`) and each
  reading once (by sensor and timestamp), and the queue deletes it on the second answer.
- The queue holds at most `max_records`; past it `put_*` raises QueueFull (so does a full
  disk), saying how many wait.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sensorium_client.errors import (
    ApiError, AuthenticationFailed, BadRequest, NotSignedIn, PayloadTooLarge, QueueFull, ServerError,
    ServerUnreachable, RateLimited,
)
from sensorium_client.models import BlinkRecord, Reading
from sensorium_client.store import sqlite_open

if TYPE_CHECKING:
    from sensorium_client.client import SensoriumClient

Kind = Literal["blink", "reading"]
State = Literal["idle", "sending", "synced", "offline", "signed_out"]
DEFAULT_MAX_RECORDS = 100_000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('blink', 'reading')),
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, key)
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, key TEXT NOT NULL, payload TEXT NOT NULL,
    errors TEXT NOT NULL, rejected_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_state (name TEXT PRIMARY KEY, value TEXT);
"""


@dataclass(frozen=True)
class RejectedRecord:
    kind: Kind
    key: str
    payload: dict[str, Any]
    errors: dict[str, Any]
    rejected_at: float


@dataclass
class SyncReport:
    """What one `sync()` did. `state` is `synced` (nothing left), `offline` (the server is
    unreachable or failing: try again later), `signed_out`, or `idle` (records remain)."""

    state: State = "synced"
    sent: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    remaining: int = 0
    error: str = ""
    rejections: list[RejectedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class QueueStatus:
    pending: int
    rejected: int
    state: State
    offline_since: float | None
    last_synced_at: float | None
    last_error: str


class _Offline(Exception):
    pass


def _record_key(kind: Kind, payload: dict) -> str:
    if kind == "blink":
        key = payload.get("client_id")
        if not key:
            raise ValueError("a blink record needs its client_id (a UUID made when it was recorded)")
        return str(key)
    if not payload.get("sensor_id") or payload.get("timestamp") in (None, ""):
        raise ValueError("a reading needs sensor_id and timestamp")
    return f"{payload['sensor_id']}|{payload['timestamp']}"


class OfflineQueue:
    def __init__(self, path: str | os.PathLike, *, max_records: int = DEFAULT_MAX_RECORDS):
        self.path, self.max_records = path, max_records
        self._db = sqlite_open(path)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- writing -----------------------------------------------------------------------

    def put_blink(self, record: BlinkRecord | dict) -> bool:
        return self._put("blink", record.wire() if isinstance(record, BlinkRecord) else dict(record))

    def put_reading(self, reading: Reading | dict) -> bool:
        return self._put("reading", reading.wire() if isinstance(reading, Reading) else dict(reading))

    def _put(self, kind: Kind, payload: dict) -> bool:
        """Store durably; False when the same record (same key) is already queued."""
        key = _record_key(kind, payload)
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                waiting = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
                if waiting >= self.max_records:
                    raise QueueFull(f"offline queue full: {waiting} records wait to be sent (cap {self.max_records}); "
                                    "sync with the server or raise max_records")
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO outbox (kind, key, payload, queued_at) VALUES (?, ?, ?, ?)",
                    (kind, key, json.dumps(payload, separators=(",", ":")), time.time()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if "full" in str(exc).lower():
                raise QueueFull(f"offline queue cannot grow: {exc} ({self.path})") from exc
            raise
        return cursor.rowcount == 1

    # --- reading -----------------------------------------------------------------------

    def pending(self, kind: Kind | None = None) -> int:
        if kind is None:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM outbox WHERE kind = ?", (kind,)).fetchone()[0]

    def rejected(self) -> list[RejectedRecord]:
        rows = self._db.execute("SELECT kind, key, payload, errors, rejected_at FROM rejected ORDER BY id")
        return [RejectedRecord(kind, key, json.loads(payload), json.loads(errors), at)
                for kind, key, payload, errors, at in rows]

    def discard_rejected(self) -> int:
        return self._db.execute("DELETE FROM rejected").rowcount

    def status(self) -> QueueStatus:
        state = dict(self._db.execute("SELECT name, value FROM sync_state"))
        rejected = self._db.execute("SELECT COUNT(*) FROM rejected").fetchone()[0]
        pending = self.pending()
        offline_since = float(state["offline_since"]) if state.get("offline_since") else None
        last = float(state["last_synced_at"]) if state.get("last_synced_at") else None
        current: State = state.get("state") or ("synced" if pending == 0 else "idle")
        if current == "synced" and pending:
            current = "idle"
        return QueueStatus(pending, rejected, current, offline_since, last, state.get("last_error") or "")

    # --- sending -----------------------------------------------------------------------

    async def sync(self, client: SensoriumClient, *, batch_size: int = 500,
                   device_token: str | None = None) -> SyncReport:
        """Send everything queued, oldest first, batch by batch. Unreachable or failing
        server: stop and report `offline` (the records stay). Readings go as the signed-in
        user, or as a device when `device_token` is given."""
        report = SyncReport()
        self._set_state(state="sending")
        try:
            for kind in ("blink", "reading"):
                await self._sync_kind(client, kind, batch_size, device_token, report)
        except _Offline as exc:
            report.state, report.error = "offline", str(exc)
            self._set_state(state="offline", last_error=report.error, offline_since=self._offline_since())
        except (AuthenticationFailed, NotSignedIn) as exc:
            report.state, report.error = "signed_out", str(exc)
            self._set_state(state="signed_out", last_error=report.error)
        else:
            report.state = "synced"
            self._set_state(state="synced", last_error="", offline_since="", last_synced_at=str(time.time()))
        report.remaining = self.pending()
        return report

    async def _sync_kind(self, client, kind: Kind, batch_size: int, device_token: str | None,
                         report: SyncReport) -> None:
        size = batch_size
        while True:
            rows = self._db.execute("SELECT id, key, payload FROM outbox WHERE kind = ? ORDER BY id LIMIT ?",
                                    (kind, size)).fetchall()
            if not rows:
                return
            self._db.execute(f"UPDATE outbox SET attempts = attempts + 1 WHERE id IN ({','.join('?' * len(rows))})",
                             [row[0] for row in rows])
            try:
                await self._send(client, kind, rows, device_token, report)
            except PayloadTooLarge:
                if len(rows) == 1:
                    self._reject(kind, rows, {0: {"body": ["Too large for the server, even alone."]}}, report)
                size = max(1, len(rows) // 2)
                continue
            size = batch_size

    async def _send(self, client, kind: Kind, rows: list, device_token: str | None, report: SyncReport) -> None:
        payloads = [json.loads(row[2]) for row in rows]
        try:
            if kind == "blink":
                result = await client.blinks.sync(payloads)
                rejections = {item.index: item.errors for item in result.results if item.outcome == "rejected"}
                report.stored += result.created
                report.duplicates += result.duplicates
            else:
                result = await client.readings.ingest(payloads, device_token=device_token)
                rejections = {item.index: item.errors for item in result.rejected}
                report.stored += result.accepted
        except (ServerUnreachable, ServerError, RateLimited) as exc:
            raise _Offline(str(exc)) from exc
        except BadRequest as exc:
            if len(rows) > 1:  # one bad record must not hold the rest back: split until it stands alone
                middle = len(rows) // 2
                await self._send(client, kind, rows[:middle], device_token, report)
                await self._send(client, kind, rows[middle:], device_token, report)
                return
            rejections = {0: exc.details or {"record": [exc.error]}}
        except (AuthenticationFailed, NotSignedIn, PayloadTooLarge):
            raise
        except ApiError as exc:  # 403/404/409: the server refuses this batch as it stands; keep it, report
            raise _Offline(str(exc)) from exc
        report.sent += len(rows)
        self._settle(kind, rows, rejections, report)

    def _settle(self, kind: Kind, rows: list, rejections: dict[int, dict], report: SyncReport) -> None:
        """In one transaction: acked rows leave the queue, rejected ones move aside."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._reject(kind, rows, rejections, report, in_transaction=True)
            self._db.execute(f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(rows))})", [row[0] for row in rows])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _reject(self, kind: Kind, rows: list, rejections: dict[int, dict], report: SyncReport, *,
                in_transaction: bool = False) -> None:
        now = time.time()
        for index, errors in rejections.items():
            _, key, payload = rows[index]
            self._db.execute("INSERT INTO rejected (kind, key, payload, errors, rejected_at) VALUES (?, ?, ?, ?, ?)",
                             (kind, key, payload, json.dumps(errors), now))
            report.rejected += 1
            report.rejections.append(RejectedRecord(kind, key, json.loads(payload), errors, now))
        if not in_transaction:
            self._db.execute(f"DELETE FROM outbox WHERE id IN ({','.join('?' * len(rejections))})",
                             [rows[index][0] for index in rejections])

    def _offline_since(self) -> str:
        row = self._db.execute("SELECT value FROM sync_state WHERE name = 'offline_since'").fetchone()
        return row[0] if row and row[0] else str(time.time())

    def _set_state(self, **values: str) -> None:
        self._db.executemany("INSERT OR REPLACE INTO sync_state (name, value) VALUES (?, ?)", values.items())


class Backoff:
    """Exponential backoff with full jitter: 1 s, 2 s, 4 s … capped, reset on success."""

    def __init__(self, *, base_s: float = 1.0, cap_s: float = 300.0):
        self.base_s, self.cap_s, self.failures = base_s, cap_s, 0

    def failed(self) -> float:
        self.failures += 1
        return random.uniform(0, min(self.cap_s, self.base_s * 2 ** (self.failures - 1)))

    def succeeded(self) -> None:
        self.failures = 0


async def sync_forever(queue: OfflineQueue, client: SensoriumClient, stop: asyncio.Event, *,
                       wake: asyncio.Event | None = None, interval_s: float = 30.0, batch_size: int = 500,
                       backoff: Backoff | None = None, on_report=None) -> None:
    """Sync every `interval_s` (or as soon as `wake` is set), backing off while offline."""
    backoff = backoff or Backoff()
    wake = wake or asyncio.Event()
    while not stop.is_set():
        report = await queue.sync(client, batch_size=batch_size)
        if on_report is not None:
            on_report(report)
        delay = backoff.failed() if report.state == "offline" else (backoff.succeeded() or interval_s)
        wake.clear()
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
