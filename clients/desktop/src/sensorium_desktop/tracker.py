"""The blink tracker: polls a source about once a second and, every minute, writes that
minute's record into the offline queue (never straight to the server)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from sensorium_client import OfflineQueue, QueueFull
from sensorium_desktop.sources import BlinkSource


class AcceleratedClock:
    """Epoch seconds running `speed` times faster than real time from `start` (demos, tests)."""

    def __init__(self, *, start: float, speed: float):
        self.start, self.speed, self._origin = start, speed, time.monotonic()

    def __call__(self) -> float:
        return self.start + (time.monotonic() - self._origin) * self.speed


def iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).isoformat(timespec="milliseconds")


class BlinkTracker(QObject):
    record_queued = pyqtSignal(dict)
    minute_progress = pyqtSignal(int, float)  # blinks so far this minute, seconds into it
    failed = pyqtSignal(str)

    def __init__(self, queue: OfflineQueue, *, minute_s: float = 60.0, tick_ms: int = 1000,
                 clock: Callable[[], float] = time.time):
        super().__init__()
        self.queue, self.minute_s, self.clock = queue, minute_s, clock
        self.session_id = str(uuid.uuid4())
        self.source: BlinkSource | None = None
        self.records = 0
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._reset(None)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def start(self, source: BlinkSource) -> None:
        self.stop()
        source.start()
        self.source = source
        now = self.clock()
        source.poll(now)  # sets its own origin
        self._reset(now)
        self._timer.start()

    def stop(self) -> None:
        """Stop; a partial minute of at least a second is recorded with its true length."""
        if not self.running:
            return
        self._timer.stop()
        self._tick(report=False)
        if self._started is not None and self.clock() - self._started >= 1:
            self._emit(self.clock())
        if self.source is not None:
            self.source.stop()
        self._reset(None)

    def _reset(self, now: float | None) -> None:
        self._started = self._last = now
        self._blinks, self._screen_s = 0, 0.0

    def _tick(self, report: bool = True) -> None:
        if self.source is None or self._started is None:
            return
        now = self.clock()
        sample = self.source.poll(now)
        # A late tick (the machine was busy or asleep) may span minute boundaries: each
        # minute gets its share of the blinks and screen time, by time.
        span = max(now - self._last, 1e-9)
        blinks_left = sample.blinks
        while now - self._started >= self.minute_s:
            boundary = self._started + self.minute_s
            share = (boundary - self._last) / span
            blinks = min(blinks_left, round(sample.blinks * share))
            self._blinks += blinks
            blinks_left -= blinks
            if sample.present:
                self._screen_s += boundary - self._last
            self._last = boundary
            self._emit(boundary)
            self._started = boundary
        self._blinks += blinks_left
        if sample.present:
            self._screen_s += now - self._last
        self._last = now
        if report:
            self.minute_progress.emit(self._blinks, now - self._started)

    def _emit(self, end: float) -> None:
        interval = round(min(self.minute_s, end - self._started), 3)
        record = {"client_id": str(uuid.uuid4()), "timestamp": iso(end), "blink_count": self._blinks,
                  "interval_s": interval, "screen_time_s": round(min(self._screen_s, interval), 3),
                  "session_id": self.session_id}
        try:
            self.queue.put_blink(record)
        except QueueFull as exc:
            self.failed.emit(str(exc))
            return
        finally:
            self._blinks, self._screen_s = 0, 0.0
        self.records += 1
        self.record_queued.emit(record)
