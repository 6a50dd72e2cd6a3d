"""The app: sign-in window or, with a remembered session, straight to the main window.

Everything the app keeps is in its data folder: `cache.sqlite3` (sessions) and one queue
per server and user (`queue-<user>@<host>.sqlite3`), so a record never syncs as someone
else. The window works offline: records queue up and go when the server answers.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from PyQt6.QtCore import QObject, QTimer

from sensorium_client import ApiError, OfflineQueue, SensoriumClient, SensoriumError, TokenStore
from sensorium_desktop.main_window import MainWindow
from sensorium_desktop.runner import AsyncRunner
from sensorium_desktop.signin import SignInWindow
from sensorium_desktop.sources import BlinkSource, CameraBlinkSource, SimulatedBlinkSource
from sensorium_desktop.sync import SyncController
from sensorium_desktop.tracker import BlinkTracker

STATS_REFRESH_MS = 60_000


def default_data_dir() -> Path:
    return Path(os.environ.get("SENSORIUM_DESKTOP_DATA") or platformdirs.user_data_dir("sensorium-desktop",
                                                                                       appauthor=False))


def queue_file(data_dir: Path, server: str, username: str) -> Path:
    host = urlsplit(server).netloc or server
    return data_dir / re.sub(r"[^A-Za-z0-9@._-]", "_", f"queue-{username}@{host}.sqlite3")


def default_sources() -> dict[str, Callable[[], BlinkSource]]:
    return {"Simulated": SimulatedBlinkSource, "Camera": CameraBlinkSource}


class DesktopApp(QObject):
    def __init__(self, *, data_dir: Path | None = None, clock: Callable[[], float] = time.time,
                 minute_s: float = 60.0, tick_ms: int = 1000, sync_interval_s: float = 15.0,
                 sources: dict[str, Callable[[], BlinkSource]] | None = None, server_url: str | None = None):
        super().__init__()
        self.data_dir = data_dir or default_data_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cache = self.data_dir / "cache.sqlite3"
        self.clock, self.minute_s, self.tick_ms, self.sync_interval_s = clock, minute_s, tick_ms, sync_interval_s
        self.sources = sources or default_sources()
        self.default_url = server_url or os.environ.get("SENSORIUM_URL", "http://127.0.0.1:8000")
        self.runner = AsyncRunner()
        self.store = TokenStore(self.cache)
        self.client: SensoriumClient | None = None
        self.signin: SignInWindow | None = None
        self.window: MainWindow | None = None
        self.tracker: BlinkTracker | None = None
        self.sync: SyncController | None = None
        self.timezone = "UTC"
        self._stats_timer = QTimer(self)
        self._stats_timer.timeout.connect(self.refresh_stats)

    # --- sign-in -----------------------------------------------------------------------

    def start(self) -> None:
        remembered = self.store.servers()
        if remembered:
            self.open_main(SensoriumClient(remembered[0], store=self.store))
        else:
            self.show_sign_in()

    def show_sign_in(self) -> None:
        last = self.store.servers()
        self.signin = SignInWindow(server_url=last[0] if last else self.default_url)
        self.signin.password_submitted.connect(self._password_sign_in)
        self.signin.show()

    def _password_sign_in(self, url: str, username: str, password: str) -> None:
        if not url or not username or not password:
            self.signin.show_error("Enter the server's URL, your username and your password.")
            return
        self.signin.set_busy(True)
        client = SensoriumClient(url, store=self.store)
        self.runner.submit(client.login(username, password), on_done=lambda _: self.signed_in(client),
                           on_error=lambda error: self.signin.show_error(self._describe(error)))

    def signed_in(self, client: SensoriumClient) -> None:
        """A sign-in method succeeded: the session is in the cache; open the main window."""
        if self.signin is not None:
            self.signin.close()
            self.signin = None
        self.open_main(client)

    @staticmethod
    def _describe(error: BaseException) -> str:
        if isinstance(error, ApiError):
            return f"{error.error} ({error.status})"
        if isinstance(error, SensoriumError):
            return str(error)
        return f"{error.__class__.__name__}: {error}"

    # --- main window -------------------------------------------------------------------

    def open_main(self, client: SensoriumClient) -> None:
        self.client = client
        session = client.session
        queue_path = queue_file(self.data_dir, client.base_url, session.username)
        availability = {name: (factory.unavailable_reason() if hasattr(factory, "unavailable_reason") else None)
                        for name, factory in self.sources.items()}
        self.window = MainWindow(who=f"{session.username} @ {client.base_url}", sources=availability)
        self.tracker = BlinkTracker(OfflineQueue(queue_path), minute_s=self.minute_s, tick_ms=self.tick_ms,
                                    clock=self.clock)
        self.sync = SyncController(runner=self.runner, client=client, queue_path=queue_path,
                                   interval_s=self.sync_interval_s)
        self.window.sign_out_requested.connect(self.sign_out)
        self.window.tracking_toggled.connect(self._tracking_toggled)
        self.window.sync_now.clicked.connect(self.sync.sync_now)
        self.tracker.minute_progress.connect(self.window.show_minute)
        self.tracker.record_queued.connect(lambda _: self.window.show_status(self.sync.status_text()))
        self.tracker.failed.connect(self.window.show_status)
        self.sync.status_changed.connect(self.window.show_status)
        self.sync.synced.connect(self._after_sync)
        self.window.show()
        self.sync.start()
        self._stats_timer.start(STATS_REFRESH_MS)
        self.runner.submit(client.profile(), on_done=self._profile_loaded, on_error=lambda _: self.refresh_stats())

    def _profile_loaded(self, profile) -> None:
        self.timezone = profile.timezone or "UTC"
        self.refresh_stats()

    def _tracking_toggled(self, on: bool, source_name: str) -> None:
        if not on:
            self.tracker.stop()
            self.sync.sync_now()
            return
        try:
            self.tracker.start(self.sources[source_name]())
        except Exception as exc:  # a camera that fails to open must not take the window down
            self.window.track.setChecked(False)
            self.window.show_status(f"{source_name} source failed: {exc}")

    def _after_sync(self, report) -> None:
        if report.stored or report.duplicates:
            self.refresh_stats()
        if report.state == "signed_out":
            self.sign_out()

    def refresh_stats(self) -> None:
        if self.client is None or not self.client.signed_in:
            return
        try:
            zone = ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError:
            zone = ZoneInfo("UTC")
        midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        query = self.client.blinks.stats(start=midnight, end=midnight + timedelta(days=1), bucket="hour",
                                         tz=zone.key)
        self.runner.submit(query, on_done=self._show_stats, on_error=lambda _: None)  # offline: keep the last chart

    def _show_stats(self, stats) -> None:
        if self.window is not None:
            self.window.show_stats(stats)

    def sign_out(self) -> None:
        client = self.client
        self._close_main()
        if client is not None:
            try:
                self.runner.run(client.logout(), timeout=15)
            except Exception:  # unreachable: the session is wiped locally anyway
                self.store.wipe(client.base_url)
        self.show_sign_in()

    def _close_main(self) -> None:
        self._stats_timer.stop()
        if self.tracker is not None:
            self.tracker.stop()
            self.tracker.queue.close()
        if self.sync is not None:
            self.sync.close()
        if self.window is not None:
            self.window.close()
        self.tracker = self.sync = self.window = self.client = None

    def shutdown(self) -> None:
        self._close_main()
        if self.signin is not None:
            self.signin.close()
        self.runner.close()
