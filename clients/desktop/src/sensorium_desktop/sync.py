"""Syncs the offline queue in the background: on a timer, on "Sync now", backing off
while the server is unreachable. Reports a one-line status for the window."""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from sensorium_client import OfflineQueue, SensoriumClient, SyncReport
from sensorium_client.queue import Backoff
from sensorium_desktop.runner import AsyncRunner


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


class SyncController(QObject):
    status_changed = pyqtSignal(str)
    synced = pyqtSignal(object)  # SyncReport

    def __init__(self, *, runner: AsyncRunner, client: SensoriumClient, queue_path: Path,
                 interval_s: float = 15.0, backoff: Backoff | None = None):
        super().__init__()
        self.runner, self.client, self.interval_s = runner, client, interval_s
        self.view = OfflineQueue(queue_path)      # counts, on the GUI thread
        self._sender = OfflineQueue(queue_path)   # used only on the runner's thread
        self.backoff = backoff or Backoff(base_s=1.0, cap_s=60.0)
        self.sending = self.closed = False
        self.last_report: SyncReport | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)

    def start(self) -> None:
        self.sync_now()

    def stop(self) -> None:
        self._timer.stop()

    def sync_now(self) -> None:
        if self.sending:
            return
        self._timer.stop()
        self.sending = True
        self.status_changed.emit(self.status_text())
        self.runner.submit(self._sender.sync(self.client), on_done=self._done, on_error=self._failed)

    def _done(self, report: SyncReport) -> None:
        self.sending = False
        if self.closed:  # signed out while this sync was in flight
            return
        self.last_report = report
        if report.state == "offline":
            delay = max(0.2, self.backoff.failed())
        else:
            self.backoff.succeeded()
            delay = self.interval_s
        if report.state != "signed_out":
            self._timer.start(int(delay * 1000))
        self.status_changed.emit(self.status_text())
        self.synced.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.sending = False
        if self.closed:
            return
        self._timer.start(int(self.interval_s * 1000))
        self.status_changed.emit(f"Sync failed: {error}")

    def status_text(self) -> str:
        status = self.view.status()
        queued = f"{status.pending} queued" if status.pending else "nothing queued"
        rejected = f" · {status.rejected} rejected by the server" if status.rejected else ""
        if self.sending:
            return f"Sending… · {queued}{rejected}"
        if status.state == "offline" and status.offline_since:
            return f"Offline since {_clock(status.offline_since)} · {queued}{rejected}"
        if status.state == "signed_out":
            return f"Signed out by the server: sign in again · {queued}{rejected}"
        if status.last_synced_at:
            return f"Synced {_clock(status.last_synced_at)} · {queued}{rejected}"
        return f"Not synced yet · {queued}{rejected}"

    def close(self) -> None:
        self.closed = True
        self.stop()
        self.view.close()
