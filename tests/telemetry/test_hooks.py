"""The reading hooks: "accepted" (hot path, before storage) and "written" (after the durable
commit, with the typed rows). The writer knows none of its consumers; they register."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import OperationalError

from sensors.models import DeviceType
from telemetry import coldpath, hooks, ingest, storage
from telemetry.models import ImuReading, MetricReading
from telemetry.schema import ImuRow, MetricRow
from tests.telemetry.helpers import imu_batch, iso

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def subscribe():
    """Connect receivers for one test; disconnect them after it."""
    connected: list[tuple[hooks.Hook, object]] = []

    def connect(hook: hooks.Hook, receiver) -> None:
        hook.connect(receiver)
        connected.append((hook, receiver))

    yield connect
    for hook, receiver in connected:
        hook.disconnect(receiver)


def _metric(sensor_id: str, moment: datetime, **fields) -> dict:
    return {"sensor_id": sensor_id, "timestamp": iso(moment), "metrics": {"voltage": 230.5}, **fields}


def test_a_written_consumer_gets_the_typed_rows_and_their_sensors_once_per_durable_write(make_sensor, user, subscribe):
    sensor, _ = make_sensor(owner=user)
    received: list[coldpath.ColdBatch] = []
    subscribe(hooks.written, lambda *, batch: received.append(batch))
    moment = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=1)

    result = ingest.accept(payload=[*imu_batch(sensor.pk, 3, start=moment), _metric(sensor.pk, moment)],
                           source="test", device=sensor)

    assert result.accepted == 4
    assert len(received) == 1, "one durable write, one call"
    batch = received[0]
    assert [type(row) for row in batch.imu] == [ImuRow] * 3 and batch.metrics == [
        MetricRow(sensor.pk, moment, "voltage", 230.5)]
    assert batch.imu[0].timestamp == moment and batch.imu[2].accel_x == 0.02
    assert [(state.sensor_id, state.battery_level, state.signal_strength) for state in batch.sensors] == [
        (sensor.pk, 87, -61)]
    assert batch.source == "test"
    # When the consumer ran, the rows were committed: it saw what is stored.
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 3


def test_a_failing_written_consumer_neither_loses_nor_uncommits_the_batch(make_sensor, user, subscribe):
    sensor, _ = make_sensor(owner=user)
    after_the_failure: list[int] = []

    def broken(*, batch):
        raise RuntimeError("consumer bug")

    subscribe(hooks.written, broken)
    subscribe(hooks.written, lambda *, batch: after_the_failure.append(len(batch.imu)))

    result = ingest.accept(payload=imu_batch(sensor.pk, 5), source="test", device=sensor)

    assert result.accepted == 5
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 5
    assert after_the_failure == [5], "the other consumers still run"


def test_a_batch_that_was_not_written_fires_no_written_hook(make_sensor, user, subscribe, monkeypatch):
    sensor, _ = make_sensor(owner=user)
    received = []
    subscribe(hooks.written, lambda *, batch: received.append(batch))

    def database_down(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(storage, "rows_store", database_down)
    with pytest.raises(ingest.ColdPathUnavailable):
        ingest.accept(payload=imu_batch(sensor.pk, 2), source="test", device=sensor)
    assert received == []


def test_accepted_consumers_see_the_readings_before_storage_and_cannot_stop_them(make_sensor, user, subscribe):
    sensor, _ = make_sensor(owner=user)
    seen: list[tuple[int, str, int]] = []

    def counting(*, readings, source):
        seen.append((len(readings), source, ImuReading.objects.filter(sensor_id=sensor.pk).count()))
        raise RuntimeError("a broken counter")

    subscribe(hooks.accepted, counting)
    result = ingest.accept(payload=imu_batch(sensor.pk, 4), source="http", device=sensor)

    assert result.accepted == 4
    assert seen == [(4, "http", 0)], "called once, with the readings, before any was stored"
    assert ImuReading.objects.filter(sensor_id=sensor.pk).count() == 4


def test_battery_and_signal_of_metric_readings_reach_the_sensor_like_motion_readings_do(make_sensor, user):
    meter, _ = make_sensor(owner=user, device_type=DeviceType.ENERGY_METER)
    moment = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=30)
    ingest.accept(payload=[_metric(meter.pk, moment, battery_level=64, signal_strength=-70),
                           _metric(meter.pk, moment + timedelta(seconds=1), signal_strength=-72)],
                  source="test", device=meter)
    meter.refresh_from_db()
    assert (meter.battery_level, meter.signal_strength, meter.last_seen) == (64, -72, moment + timedelta(seconds=1))
    assert MetricReading.objects.filter(sensor_id=meter.pk).count() == 2
