"""The simulated eye tracker feeds the wellness page: its readings, taken through the one
ingest path, become blink records whose stats give a human blink rate."""

import time
from datetime import timedelta, timezone as dt_timezone

from django.utils import timezone

from sensors.simulator import EyeSignal
from telemetry.blink.selectors import blink_stats
from telemetry.ingest import accept
from tests.factories import sensor_make


def test_simulated_eye_tracker_readings_become_blink_records_with_a_human_rate(user):
    tracker, _token = sensor_make(owner=user, device_type="eye_tracker", id="eye-sim")
    signal, hz, start = EyeSignal(), 5.0, time.time() - 120
    readings = [signal.reading(tracker.pk, start + i / hz, hz) for i in range(int(60 * hz))]

    result = accept(payload=readings, source="test", device=tracker)

    assert result.rejected == []
    now = timezone.now()
    stats = blink_stats(user=user, start=now - timedelta(hours=1), end=now + timedelta(minutes=1),
                        bucket="hour", tz=dt_timezone.utc)
    tracked = sum(row["tracked_s"] for row in stats)
    assert 45 <= tracked <= 60  # one record per 10 s over a minute of readings
    assert all(5 <= row["blinks_per_min"] <= 30 for row in stats)
