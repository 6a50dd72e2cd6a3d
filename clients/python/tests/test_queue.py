"""The offline queue against a real server: acked records leave, rejected ones are kept
with the server's reasons, an unreachable server keeps everything, the cap is enforced,
and a client killed mid-sync loses and duplicates nothing."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from accounts import PASSWORDS
from sensorium_client import OfflineQueue, QueueFull, SensoriumClient, TokenStore
from sensorium_client.testing import eventually_async, free_port

HERE = Path(__file__).resolve().parent


def worker_env():
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))


def blink(moment, count=12):
    return {"client_id": str(uuid.uuid4()), "timestamp": moment.isoformat(), "blink_count": count,
            "interval_s": 60, "screen_time_s": 60}


def minutes_ago(n):
    return datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=n)


async def test_acked_records_leave_and_rejected_ones_are_kept_with_reasons(api, tmp_path):
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    good = [blink(minutes_ago(600 + i)) for i in range(30)]
    for record in good:
        assert queue.put_blink(record)
    assert not queue.put_blink(good[0])  # same client_id: queued once
    naive = {**blink(minutes_ago(700)), "timestamp": "2026-03-01T10:00:00"}
    queue.put_blink(naive)
    report = await queue.sync(api, batch_size=7)
    assert report.state == "synced" and report.remaining == 0
    assert (report.stored, report.rejected) == (30, 1)
    [rejected] = queue.rejected()
    assert rejected.key == naive["client_id"] and "timestamp" in rejected.errors
    assert queue.status().pending == 0 and queue.status().rejected == 1


async def test_readings_are_queued_and_sent_as_the_device(api, unique, tmp_path):
    sensor_id = unique("imu")
    token = (await api.sensors.create(id=sensor_id, name="queued")).token
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    start = minutes_ago(30)
    for i in range(40):
        queue.put_reading({"sensor_id": sensor_id, "timestamp": (start + timedelta(seconds=i)).isoformat(),
                           "metrics": {"temperature": 20 + i / 10}})
    queue.put_reading({"sensor_id": sensor_id, "timestamp": "yesterday", "metrics": {"temperature": 1}})
    report = await queue.sync(api, batch_size=15, device_token=token)
    assert (report.state, report.stored, report.rejected) == ("synced", 40, 1)
    async def metric_count():
        page = await api.readings.query(sensor_id, kind="metric", start=start - timedelta(seconds=1), limit=100)
        return page.count if page.count >= 40 else None
    assert await eventually_async(metric_count, what="40 readings stored") == 40


async def test_an_unreachable_server_keeps_every_record_and_reports_offline(server, tmp_path):
    queue = OfflineQueue(tmp_path / "queue.sqlite3")
    store = TokenStore(tmp_path / "queue.sqlite3")
    dead = f"http://127.0.0.1:{free_port()}"
    store.save(server=dead, username="alice", access="a", refresh="r")
    for i in range(5):
        queue.put_blink(blink(minutes_ago(800 + i)))
    async with SensoriumClient(dead, store=store, timeout=2) as offline:
        report = await queue.sync(offline)
    assert report.state == "offline" and report.remaining == 5 and "unreachable" in report.error
    status = queue.status()
    assert status.state == "offline" and status.offline_since is not None and status.pending == 5


def test_the_size_cap_raises_queue_full_with_a_clear_message(tmp_path):
    queue = OfflineQueue(tmp_path / "queue.sqlite3", max_records=3)
    for i in range(3):
        queue.put_blink(blink(minutes_ago(i)))
    with pytest.raises(QueueFull, match="3 records wait"):
        queue.put_blink(blink(minutes_ago(10)))
    assert queue.pending() == 3


@pytest.mark.slow
async def test_a_client_killed_mid_sync_loses_and_duplicates_nothing(server, tmp_path):
    cache = tmp_path / "carol.sqlite3"
    async with SensoriumClient(server.url, store=TokenStore(cache)) as carol:
        await carol.login("carol", PASSWORDS["carol"])
        start = minutes_ago(3000)
        records = [blink(start + timedelta(minutes=i), count=i % 20) for i in range(2400)]
        queue = OfflineQueue(cache)
        for record in records:
            queue.put_blink(record)

        kills = 0
        for threshold in (2000, 1200, 500):
            worker = subprocess.Popen([sys.executable, str(HERE / "sync_worker.py"), server.url, str(cache), "20"],
                                      cwd=HERE, env=worker_env())
            while queue.pending() > threshold and worker.poll() is None:
                time.sleep(0.005)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
            kills += 1
            assert 0 < queue.pending() <= threshold
        final = subprocess.run([sys.executable, str(HERE / "sync_worker.py"), server.url, str(cache), "200"],
                               cwd=HERE, env=worker_env(), timeout=120)
        assert final.returncode == 0 and kills == 3
        assert queue.pending() == 0 and queue.rejected() == []

        async def all_stored():
            stats = await carol.blinks.stats(start=start - timedelta(minutes=1), end=start + timedelta(days=3),
                                             bucket="day", tz="UTC")
            return stats if sum(bucket.records for bucket in stats.buckets) >= len(records) else None
        stats = await eventually_async(all_stored, what="every record stored")
        assert sum(bucket.records for bucket in stats.buckets) == len(records)
        assert stats.total.blinks == sum(record["blink_count"] for record in records)
        # and the server knows each one: a resend of all of them stores nothing new
        resend = await carol.blinks.sync(records[:1000])
        assert (resend.created, resend.duplicates) == (0, 1000)
