"""The Wellness at Work app, offscreen, against a real server: sign in, track with the
simulated source, lose the server, keep tracking, get it back, sync; the server then
holds every record exactly once. Saves a screenshot of the main window."""

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import PASSWORDS, QT_MISSING

if QT_MISSING:  # conftest skips every test with the reason; nothing below may be imported
    pytest.skip(QT_MISSING, allow_module_level=True)

from PyQt6.QtCore import Qt  # noqa: E402

from sensorium_client import OfflineQueue, SensoriumClient, TokenStore
from sensorium_client.testing import eventually
from sensorium_desktop.app import DesktopApp
from sensorium_desktop.sources import BlinkSource, CameraBlinkSource, EyeBlinkCounter, Sample, SimulatedBlinkSource
from sensorium_desktop.tracker import AcceleratedClock, BlinkTracker

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
SPEED = 240  # a tracked minute every quarter of a second


def virtual_clock():
    now = datetime.now(timezone.utc)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - timedelta(minutes=90), midnight + timedelta(minutes=1))  # today, in UTC
    return AcceleratedClock(start=start.timestamp(), speed=SPEED)


def make_app(tmp_path, server, clock=None):
    return DesktopApp(data_dir=tmp_path / "data", clock=clock or virtual_clock(), minute_s=60, tick_ms=40,
                      sync_interval_s=0.5, server_url=server.url,
                      sources={"Simulated": lambda: SimulatedBlinkSource(rate_per_min=16, seed=7),
                               "Camera": CameraBlinkSource})


def sign_in(qtbot, app, username):
    app.start()
    window = app.signin
    assert window is not None and window.isVisible()
    window.password_method.username.clear()
    qtbot.keyClicks(window.password_method.username, username)
    qtbot.keyClicks(window.password_method.password, PASSWORDS[username])
    qtbot.mouseClick(window.password_method.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None and app.window.isVisible(), timeout=30_000)
    return app.window


def server_view(server, username, start, end):
    async def query():
        async with SensoriumClient(server.url, store=TokenStore(None)) as api:
            await api.login(username, PASSWORDS[username])
            return await api.blinks.stats(start=start, end=end, bucket="hour", tz="UTC")
    return asyncio.run(query())


def test_sign_in_track_offline_and_sync_exactly_once(qtbot, server, tmp_path):
    clock = virtual_clock()
    app = make_app(tmp_path, server, clock)
    queued = []
    try:
        window = sign_in(qtbot, app, "erin")
        assert window.who.text() == f"erin @ {server.url}"
        app.tracker.record_queued.connect(queued.append)
        qtbot.mouseClick(window.track, Qt.MouseButton.LeftButton)
        assert app.tracker.running
        qtbot.waitUntil(lambda: len(queued) >= 6 and app.sync.view.pending() == 0 and not app.sync.sending,
                        timeout=60_000)
        assert window.status_line.text().startswith("Synced")

        server.stop()
        online_records = len(queued)
        qtbot.waitUntil(lambda: len(queued) >= online_records + 8
                        and window.status_line.text().startswith("Offline since"), timeout=60_000)
        assert app.sync.view.pending() > 0 and f"{app.sync.view.pending()} queued" in window.status_line.text()

        server.start()
        qtbot.mouseClick(window.sync_now, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.status_line.text().startswith("Synced") and app.sync.view.pending() == 0,
                        timeout=60_000)
        qtbot.mouseClick(window.track, Qt.MouseButton.LeftButton)  # stop: the partial minute is queued too
        assert not app.tracker.running
        qtbot.waitUntil(lambda: app.sync.view.pending() == 0 and not app.sync.sending
                        and window.status_line.text().startswith("Synced"), timeout=60_000)
        qtbot.waitUntil(lambda: bool(window.chart.hours), timeout=30_000)

        span = (datetime.fromtimestamp(clock.start - 60, timezone.utc), datetime.fromtimestamp(clock() + 3600, timezone.utc))

        def all_stored():  # with a broker the worker stores them a moment after the sync's answer
            view = server_view(server, "erin", *span)
            return view if sum(bucket.records for bucket in view.buckets) >= len(queued) else None
        stats = eventually(all_stored, what="every record on the server")
        assert sum(bucket.records for bucket in stats.buckets) == len(queued) == app.tracker.records
        assert stats.total.blinks == sum(record["blink_count"] for record in queued)
        assert stats.total.tracked_s == pytest.approx(sum(record["interval_s"] for record in queued))
        assert app.sync.view.rejected() == []
        assert window.totals.text().startswith("Today: ") and "blinks per minute" in window.totals.text()

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "desktop-main.png"
        assert window.grab().save(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        app.shutdown()


def test_the_session_is_remembered_and_sign_out_forgets_it(qtbot, server, tmp_path):
    first = make_app(tmp_path, server)
    try:
        sign_in(qtbot, first, "frank")
    finally:
        first.shutdown()
    again = make_app(tmp_path, server)
    try:
        again.start()
        assert again.signin is None and again.window.isVisible()  # no password asked
        qtbot.mouseClick(again.window.sign_out, Qt.MouseButton.LeftButton)
        assert again.window is None and again.signin.isVisible()
        assert TokenStore(tmp_path / "data" / "cache.sqlite3").servers() == []
    finally:
        again.shutdown()


def test_a_wrong_password_is_shown_in_the_window(qtbot, server, tmp_path):
    app = make_app(tmp_path, server)
    try:
        app.start()
        qtbot.keyClicks(app.signin.password_method.username, "erin")
        qtbot.keyClicks(app.signin.password_method.password, "not-it")
        qtbot.mouseClick(app.signin.password_method.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(app.signin.error.text()), timeout=30_000)
        assert "(401)" in app.signin.error.text() and app.window is None
    finally:
        app.shutdown()


def test_the_camera_source_is_offered_only_where_a_camera_exists(qtbot, server, tmp_path):
    reason = CameraBlinkSource.unavailable_reason()
    app = make_app(tmp_path, server)
    try:
        window = sign_in(qtbot, app, "erin")
        index = window.source.findData("Camera")
        item = window.source.model().item(index)
        assert item.isEnabled() == (reason is None)
        if reason is not None:
            assert reason in window.source.itemText(index)
    finally:
        app.shutdown()


def test_the_eye_blink_counter_counts_a_closed_then_open_eye_as_one_blink():
    counter = EyeBlinkCounter(min_closed=1, max_closed=5)
    for face, eyes in [(True, 2), (True, 2), (True, 0), (True, 0), (True, 2),   # a blink
                       (True, 0) , *[(True, 0)] * 8, (True, 2),                  # eyes away too long: not a blink
                       (False, 0), (True, 0), (True, 2),                         # face lost: no blink
                       (True, 1), (True, 0), (True, 1)]:                         # a blink
        counter.frame(face=face, eyes=eyes)
    assert counter.blinks == 2


def test_the_simulated_source_blinks_at_about_its_rate():
    source = SimulatedBlinkSource(rate_per_min=15, seed=3)
    start = time.time()
    source.poll(start)
    blinks = sum(source.poll(start + second).blinks for second in range(1, 3601))
    assert 15 * 60 * 0.85 < blinks < 15 * 60 * 1.15


class SteadySource(BlinkSource):
    """Exactly one blink per (clock) second: what the tracker does with them is the test."""

    def __init__(self):
        self.last = None

    def poll(self, now):
        blinks = 0 if self.last is None else int(round(now - self.last))
        self.last = now
        return Sample(blinks, present=True)


def test_a_late_tick_spreads_its_blinks_over_the_minutes_it_spans(qtbot, tmp_path):
    now = [1_000_000.0]
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    tracker = BlinkTracker(queue, minute_s=60, tick_ms=60_000, clock=lambda: now[0])
    records = []
    tracker.record_queued.connect(records.append)
    tracker.start(SteadySource())
    now[0] += 30
    tracker._tick()
    now[0] += 180  # the machine was busy for three minutes
    tracker._tick()
    assert [(record["blink_count"], record["interval_s"], record["screen_time_s"]) for record in records] == [
        (60, 60, 60), (60, 60, 60), (60, 60, 60)]
    tracker.stop()  # the 30 s left are recorded with their true length
    assert (records[-1]["blink_count"], records[-1]["interval_s"]) == (30, 30)
    assert queue.pending() == 4
