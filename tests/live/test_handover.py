"""Grouped hand-over: callers arriving during a publish share the next one; acks stay durable."""

import asyncio
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest

from core.group_commit import GroupPublisher
from telemetry.blink.wire import BlinkRow
from telemetry.coldpath import ColdBatch, SensorState, batches_merge
from telemetry.schema import ImuRow, MetricRow


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def test_callers_arriving_during_a_publish_are_carried_by_the_next_one():
    published: list[list[int]] = []
    first_in_flight, release_first = threading.Event(), threading.Event()
    returned: dict[int, int] = {}

    def publish(items):
        published.append(sorted(items))
        if len(published) == 1:
            first_in_flight.set()
            release_first.wait(10)

    group = GroupPublisher(publish)

    def caller(item):
        group.submit(item)
        returned[item] = len(published)  # how many publishes had happened when it returned

    threads = [threading.Thread(target=caller, args=(0,))]
    threads[0].start()
    first_in_flight.wait(10)
    threads += [threading.Thread(target=caller, args=(item,)) for item in range(1, 6)]
    for thread in threads[1:]:
        thread.start()
    _until(lambda: len(group._pending) == 5, "followers queue behind the publish in flight")
    assert 1 not in returned, "nobody returns before the publish carrying it"
    release_first.set()
    for thread in threads:
        thread.join(10)
    assert published == [[0], [1, 2, 3, 4, 5]]
    assert returned[0] >= 1 and all(returned[item] == 2 for item in range(1, 6))


def test_a_failed_publish_fails_every_caller_it_carried_and_the_next_group_still_runs():
    calls = []

    def publish(items):
        calls.append(list(items))
        if items == ["doomed"]:
            raise ConnectionError("broker down")

    group = GroupPublisher(publish)
    with pytest.raises(ConnectionError):
        group.submit("doomed")
    group.submit("fine")
    assert calls == [["doomed"], ["fine"]]


def _at(second: int) -> datetime:
    return datetime(2026, 11, 30, 10, 0, second, tzinfo=timezone.utc)


def _imu(sensor_id: str, second: int) -> ImuRow:
    return ImuRow(sensor_id, _at(second), 0.0, 0.0, 9.81, 0.0, 0.0, 0.0, None, None)


def test_merged_batches_keep_every_row_and_the_newest_state_per_sensor():
    older = ColdBatch(imu=[_imu("a", 1)], sensors=[SensorState("imu-1", _at(0), 80, -60)], source="websocket")
    newer = ColdBatch(imu=[_imu("a", 2)], metrics=[MetricRow("m", _at(1), "v", 1.0)],
                      sensors=[SensorState("imu-1", _at(1), None, -58), SensorState("imu-2", _at(0), 50, None)],
                      source="websocket")
    merged = batches_merge([newer, older])
    assert merged.imu == [_imu("a", 2), _imu("a", 1)] and merged.metrics == [MetricRow("m", _at(1), "v", 1.0)]
    assert merged.source == "websocket"
    assert sorted(merged.sensors, key=lambda state: state.sensor_id) == [
        SensorState("imu-1", _at(1), 80, -58), SensorState("imu-2", _at(0), 50, None)]


async def test_async_callers_wait_on_futures_and_share_the_next_publish():
    published: list[list[int]] = []
    first_in_flight, release_first = threading.Event(), threading.Event()

    def publish(items):
        published.append(sorted(items))
        if len(published) == 1:
            first_in_flight.set()
            release_first.wait(10)

    group = GroupPublisher(publish)
    first = group.submit_async(0)
    await asyncio.to_thread(first_in_flight.wait, 10)
    # Far more callers than the thread pool has threads: none of them holds a thread.
    followers = [group.submit_async(item) for item in range(1, 101)]
    await asyncio.sleep(0.05)
    assert not first.done() and not any(future.done() for future in followers)
    release_first.set()
    await asyncio.wait_for(asyncio.gather(first, *followers), 10)
    assert published == [[0], list(range(1, 101))]


async def test_async_failed_publish_fails_its_group_and_the_next_group_still_runs():
    def publish(items):
        if items == ["doomed"]:
            raise ConnectionError("broker down")

    group = GroupPublisher(publish)
    with pytest.raises(ConnectionError):
        await group.submit_async("doomed")
    await asyncio.wait_for(group.submit_async("fine"), 10)


def test_merged_batches_keep_their_blink_records():
    def blink(second: int, count: int) -> BlinkRow:
        return BlinkRow("eye-1", _at(second), uuid.UUID(int=second), count, 60.0, {})

    one = ColdBatch(blinks=[blink(0, 120)], source="http")
    two = ColdBatch(imu=[_imu("a", 1)], blinks=[blink(1, 95)], source="http")
    assert batches_merge([one, two]).blinks == one.blinks + two.blinks
