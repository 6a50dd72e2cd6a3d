"""The cold path across a real broker and real Celery worker subprocesses."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from telemetry import ingest
from telemetry.models import ImuReading
from tests.servers import celery_worker
from tests.telemetry.helpers import imu_batch

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait_for_count(sensor_id: str, expected: int, timeout: float, worker) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = ImuReading.objects.filter(sensor_id=sensor_id).count()
        if count >= expected:
            return count
        time.sleep(0.2)
    raise AssertionError(f"{count}/{expected} readings stored after {timeout}s:\n{worker.output()[-3000:]}")


def test_a_batch_round_trips_through_the_broker_and_a_worker(broker_mode, make_sensor, user):
    sensor, _ = make_sensor(owner=user)
    batch = imu_batch(sensor.pk, 300)
    batch[-1]["battery_level"] = 12
    with celery_worker() as worker:
        result = ingest.accept(payload={"readings": batch}, source="test", device=sensor)
        assert result.accepted == 300
        _wait_for_count(sensor.pk, 300, 30, worker)
    first = ImuReading.objects.filter(sensor_id=sensor.pk).order_by("timestamp").first()
    assert (first.accel_x, first.accel_z, first.gyro_z, first.signal_strength) == (0.0, 9.81, -0.3, -61)
    sensor.refresh_from_db()
    assert sensor.battery_level == 12


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(broker_mode, make_sensor, user):
    sensor, _ = make_sensor(owner=user)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    batches = [imu_batch(sensor.pk, 200, start=start + timedelta(minutes=i)) for i in range(4)]
    # The first worker holds each written batch uncommitted for a long time: SIGKILL lands mid-write.
    with celery_worker(pool="solo", write_delay_s=30) as doomed:
        accepted = sum(ingest.accept(payload=batch, source="test", device=sensor).accepted for batch in batches)
        deadline = time.monotonic() + 30
        while "readings_write_batch" not in doomed.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        doomed.kill()
    assert accepted == 800
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 0
    with celery_worker() as survivor:
        _wait_for_count(sensor.pk, accepted, 60, survivor)
        time.sleep(1)  # anything redelivered twice would land now
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == accepted


def test_a_backlog_drained_by_a_threads_pool_stores_every_reading_once(broker_mode, make_sensor, user):
    sensor, _ = make_sensor(owner=user)
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    batches = [imu_batch(sensor.pk, 200, start=start + timedelta(minutes=i)) for i in range(8)]
    batches.append(batches[3])  # sent twice, possibly written by two threads at once: stored once
    accepted = sum(ingest.accept(payload=batch, source="test", device=sensor).accepted for batch in batches)
    assert accepted == 1800
    with celery_worker(pool="threads", concurrency=4) as worker:
        _wait_for_count(sensor.pk, 1600, 60, worker)
        time.sleep(1)
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 1600
