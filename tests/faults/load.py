"""Bounded load for the fault tests: HTTP ingest and device sockets whose readings carry their
sequence number (reading n of a sensor is stamped BASE + n ms), a /status watcher, and the
accounting that compares what clients were told was accepted with what was stored."""

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import websockets
from django.conf import settings

from telemetry.storage import IMU_TABLE

BASE = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
CLIENT_TIMEOUT_S = 10.0
STEP = timedelta(milliseconds=1)


def readings_for(sensor_id: str, seqs: range) -> list[dict]:
    return [{"sensor_id": sensor_id, "timestamp": (BASE + n * STEP).isoformat().replace("+00:00", "Z"),
             "acceleration": {"x": float(n), "y": 0.0, "z": 9.81}, "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.0}}
            for n in seqs]


@dataclass
class Tally:
    """What one client saw. `accepted` holds the sequence numbers answered 202 or acked."""

    sensor_id: str
    accepted: set[int] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    answers: list[tuple[float, int]] = field(default_factory=list)  # (monotonic time, status)
    missing_retry_after: int = 0
    hangs: int = 0  # no answer within the client's timeout
    refused: int = 0  # could not connect (the process it aimed at is gone)
    reconnects: int = 0
    resent_frames: int = 0

    def answered(self, status: int, seqs: range) -> None:
        self.statuses[status] += 1
        self.answers.append((time.monotonic(), status))
        if status == 202:
            self.accepted.update(seqs)


async def http_device(urls: list[str], sensor_id: str, token: str, stop: asyncio.Event, tally: Tally,
                      *, per_request: int = 50, pause_s: float = 0.02) -> None:
    """POSTs batches round robin over `urls` until `stop`; a refused or failed batch is not resent
    (it was never accepted), the next one carries new sequence numbers."""
    headers = {"Authorization": f"Device {token}"}
    next_seq, turn = 0, 0
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
        while not stop.is_set():
            seqs = range(next_seq, next_seq + per_request)
            next_seq += per_request
            url = urls[turn % len(urls)]
            turn += 1
            try:
                response = await client.post(f"{url}/api/v1/data/ingest", headers=headers,
                                             json={"readings": readings_for(sensor_id, seqs)})
            except httpx.TimeoutException:
                tally.hangs += 1
                continue
            except httpx.TransportError:
                tally.refused += 1
                await asyncio.sleep(0.1)
                continue
            tally.answered(response.status_code, seqs)
            if response.status_code == 503:
                tally.missing_retry_after += "retry-after" not in response.headers
                await asyncio.sleep(0.2)  # sooner than Retry-After, to measure recovery finely
            await asyncio.sleep(pause_s)


async def socket_device(urls: list[str], sensor_id: str, token: str, stop: asyncio.Event, tally: Tally,
                        *, per_frame: int = 20, window: int = 8, pause_s: float = 0.02) -> None:
    """A device on `/ws/devices/<id>/`: frame s carries readings s*per_frame..; at most `window`
    frames unacked; on a closed socket it reconnects (to the next url) and resends every
    unacked frame with its seq. After `stop` it waits for the acks still due."""
    headers = {"Authorization": f"Device {token}"}
    unacked: dict[int, range] = {}
    next_frame, turn = 0, 0

    def frame(seq: int) -> str:
        return json.dumps({"type": "telemetry", "seq": seq, "readings": readings_for(sensor_id, unacked[seq])})

    while True:
        url = urls[turn % len(urls)]
        turn += 1
        try:
            async with websockets.connect(f"{url.replace('http', 'ws', 1)}/ws/devices/{sensor_id}/",
                                          additional_headers=headers, open_timeout=CLIENT_TIMEOUT_S) as sock:
                ready = json.loads(await asyncio.wait_for(sock.recv(), CLIENT_TIMEOUT_S))
                assert ready["type"] == "ready", ready
                for seq in sorted(unacked):
                    await sock.send(frame(seq))
                    tally.resent_frames += 1
                while unacked or not stop.is_set():
                    while len(unacked) < window and not stop.is_set():
                        seq, next_frame = next_frame, next_frame + 1  # before the send, which may fail
                        unacked[seq] = range(seq * per_frame, (seq + 1) * per_frame)
                        await sock.send(frame(seq))
                        await asyncio.sleep(pause_s)
                    message = json.loads(await asyncio.wait_for(sock.recv(), CLIENT_TIMEOUT_S))
                    if message["type"] == "ack":
                        tally.answered(202, unacked.pop(message["seq"]))
                    elif message["type"] == "error":
                        tally.statuses[f"error frame {message.get('errors')}"] += 1
                return
        except TimeoutError:
            tally.hangs += 1
        except (websockets.ConnectionClosed, OSError, websockets.InvalidHandshake) as exc:
            code = getattr(getattr(exc, "rcvd", None), "code", None)
            tally.statuses[f"closed {code}" if code else "refused"] += 1
        if stop.is_set() and not unacked:
            return
        tally.reconnects += 1
        await asyncio.sleep(0.2)


@dataclass
class StatusWatch:
    reports: list[tuple[float, int, list[str]]] = field(default_factory=list)

    def down_between(self, start: float, end: float) -> set[str]:
        return {name for at, _, down in self.reports if start <= at <= end for name in down}


async def status_watch(url: str, stop: asyncio.Event, watch: StatusWatch) -> None:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
        while not stop.is_set():
            try:
                response = await client.get(f"{url}/status")
                watch.reports.append((time.monotonic(), response.status_code, response.json().get("down", [])))
            except (httpx.TransportError, ValueError):
                pass
            await asyncio.sleep(0.5)


def stored_seqs(database_url: str, sensor_id: str) -> list[int]:
    """Sequence numbers of the sensor's stored readings, one per row (a duplicate appears twice)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(f"SELECT timestamp FROM {IMU_TABLE} WHERE sensor_id = %s", [sensor_id]).fetchall()
    return [round((stamp - BASE) / STEP) for (stamp,) in rows]


def storage_awaited(database_url: str, tallies: list[Tally], timeout: float) -> dict[str, list[int]]:
    """Each sensor's stored sequence numbers once every accepted one is there (or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    while True:
        stored = {tally.sensor_id: stored_seqs(database_url, tally.sensor_id) for tally in tallies}
        if all(tally.accepted <= set(stored[tally.sensor_id]) for tally in tallies) or time.monotonic() > deadline:
            return stored
        time.sleep(0.5)


def seconds_to_recover(tallies: list[Tally], fault_end: float) -> float | None:
    """From the end of the fault to the moment every client had been answered 202 again."""
    firsts = []
    for tally in tallies:
        after = [at for at, status in tally.answers if status == 202 and at >= fault_end]
        if not after:
            return None
        firsts.append(min(after))
    return round(max(firsts) - fault_end, 2)


def figures_record(name: str, tallies: list[Tally], stored: dict[str, list[int]], recover_s: float | None,
                   **extra) -> dict:
    """The fault's one-line summary: printed (pytest -s) and appended to var/faults-results.jsonl."""
    accepted = sum(len(tally.accepted) for tally in tallies)
    stored_total = sum(len(set(stored[t.sensor_id]) & t.accepted) for t in tallies)
    figures = {"fault": name, "accepted": accepted, "stored": stored_total,
               "lost": sum(len(t.accepted - set(stored[t.sensor_id])) for t in tallies),
               "duplicated": sum(len(rows) - len(set(rows)) for rows in stored.values()),
               "503": sum(t.statuses[503] for t in tallies), "500": sum(t.statuses[500] for t in tallies),
               "hangs": sum(t.hangs for t in tallies), "refused": sum(t.refused for t in tallies),
               "reconnects": sum(t.reconnects for t in tallies), "resent_frames": sum(t.resent_frames for t in tallies),
               "recover_s": recover_s, **extra}
    print("FAULT " + json.dumps(figures))
    path = Path(settings.VAR_DIR) / "faults-results.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps({"at": datetime.now(UTC).isoformat(timespec="seconds"), **figures}) + "\n")
    return figures


def figures_check(figures: dict, tallies: list[Tally]) -> None:
    """What holds after every fault: nothing accepted lost or stored twice, no 500, no hang, every
    503 with Retry-After, nothing but 202 and 503 answered."""
    assert figures["accepted"] > 0
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
    assert figures["hangs"] == 0, figures
    assert sum(t.missing_retry_after for t in tallies) == 0, "a 503 without Retry-After"
    # Sockets also count their closes ("closed <code>", "refused"); an HTTP answer is a number.
    answered = {status for t in tallies for status in t.statuses if not isinstance(status, str)}
    assert answered <= {202, 503}, answered
    assert not any(str(status).startswith("error frame") for t in tallies for status in t.statuses)
