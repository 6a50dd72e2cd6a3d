"""The async API client against a running server: session, sensors, readings, blinks,
products, errors."""

import csv
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sensorium_client import (
    AuthenticationFailed, BadRequest, NotFound, NotSignedIn, SensoriumClient, ServerUnreachable, TokenStore,
)
from sensorium_client.testing import eventually_async, free_port
from accounts import PASSWORDS


async def stored(api, sensor_id, start, expected):
    async def count():
        page = await api.readings.query(sensor_id, start=start - timedelta(seconds=1), limit=10_000, bucket="raw")
        return page.count >= expected
    await eventually_async(count, what=f"{expected} readings stored")


def imu(sensor_id, moment, z=9.81):
    return {"sensor_id": sensor_id, "timestamp": moment.isoformat(), "acceleration": {"x": 0.0, "y": 0.1, "z": z},
            "gyroscope": {"x": 0.0, "y": 0.0, "z": 0.2}, "battery_level": 80}


async def test_session_is_kept_in_the_cache_and_wiped_on_logout(server, tmp_path):
    path = tmp_path / "cache.sqlite3"
    async with SensoriumClient(server.url, store=TokenStore(path)) as first:
        await first.login("alice", PASSWORDS["alice"])
    async with SensoriumClient(server.url, store=TokenStore(path)) as later:
        assert (await later.profile()).username == "alice"
        old_refresh = later.session.refresh
        await later.logout()
        assert later.session is None
        with pytest.raises(NotSignedIn):
            await later.profile()
    # The server revoked it too: the old refresh token no longer works.
    store = TokenStore(tmp_path / "other.sqlite3")
    store.save(server=server.url, username="alice", access="x", refresh=old_refresh)
    async with SensoriumClient(server.url, store=store) as revoked:
        with pytest.raises(AuthenticationFailed):
            await revoked.profile()
        assert revoked.session is None


async def test_a_401_refreshes_the_access_token_once_and_repeats_the_call(api, store):
    session = api.session
    store.update_tokens(server=api.base_url, access="expired-or-garbage", refresh=None)
    assert (await api.profile()).username == "alice"
    assert api.session.access not in ("expired-or-garbage", session.access)
    assert api.session.refresh != session.refresh  # rotated


async def test_wrong_password_is_a_typed_error_with_the_servers_message(server, store):
    async with SensoriumClient(server.url, store=store) as client:
        with pytest.raises(AuthenticationFailed) as failure:
            await client.login("alice", "not-her-password")
    assert failure.value.status == 401 and failure.value.error
    assert store.get(server.url) is None


async def test_an_unreachable_server_raises_server_unreachable(store):
    async with SensoriumClient(f"http://127.0.0.1:{free_port()}", store=store, timeout=2) as client:
        with pytest.raises(ServerUnreachable):
            await client.login("alice", "x")


async def test_sensors_create_list_rotate_and_validation_errors_name_the_field(api, unique):
    sensor_id = unique("imu")
    created = await api.sensors.create(id=sensor_id, name="Press 4", device_type="imu")
    assert created.token and created.owner == "alice"
    assert sensor_id in [sensor.id for sensor in await api.sensors.list(device_type="imu")]
    new_token = await api.sensors.rotate_token(sensor_id)
    assert new_token != created.token
    with pytest.raises(BadRequest) as bad:
        await api.sensors.create(id=unique("imu"), name="x", mac_address="not-a-mac")
    assert "mac_address" in bad.value.details
    await api.sensors.delete(sensor_id)
    with pytest.raises(NotFound):
        await api.sensors.get(sensor_id)


async def test_another_users_sensor_is_not_found(server, api, unique, tmp_path):
    sensor_id = unique("imu")
    await api.sensors.create(id=sensor_id, name="alice's")
    async with SensoriumClient(server.url, store=TokenStore(tmp_path / "bob.sqlite3")) as bob:
        await bob.login("bob", PASSWORDS["bob"])
        with pytest.raises(NotFound) as missing:
            await bob.sensors.get(sensor_id)
        assert missing.value.error


async def test_readings_ingest_query_latest_and_csv_download(api, unique, tmp_path):
    sensor_id = unique("imu")
    created = await api.sensors.create(id=sensor_id, name="Lathe")
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    readings = [imu(sensor_id, start + timedelta(seconds=i), z=9.0 + i / 100) for i in range(50)]
    bad = {**readings[0], "timestamp": "2026-01-01T10:00:00"}  # naive: rejected
    result = await api.readings.ingest([*readings[:25], bad])
    assert result.accepted == 25 and [item.index for item in result.rejected] == [25]
    assert "timestamp" in str(result.rejected[0].errors)
    # as the device, with its token
    assert (await api.readings.ingest(readings[25:], device_token=created.token)).accepted == 25
    await stored(api, sensor_id, start, 50)
    page = await api.readings.query(sensor_id, start=start - timedelta(seconds=1), order="oldest", limit=20)
    assert page.count == 20 and page.next_cursor
    rows = [row async for row in api.readings.iterate(sensor_id, start=start - timedelta(seconds=1), page_size=20)]
    assert len(rows) == 50
    latest = await api.readings.latest(sensor_id)
    assert latest.acceleration.z == pytest.approx(9.49)
    target = tmp_path / "out.csv"
    assert await api.readings.download_csv(sensor_id, target, start=start - timedelta(seconds=1)) == 50
    with target.open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 50 and float(table[0]["accel_z"]) == pytest.approx(9.0)


async def test_daily_totals_of_an_energy_meter(api, unique):
    sensor_id = unique("meter")
    await api.sensors.create(id=sensor_id, name="Panel", device_type="energy_meter")
    moment = datetime.now(timezone.utc) - timedelta(minutes=5)
    await api.readings.ingest([{"sensor_id": sensor_id, "timestamp": (moment + timedelta(seconds=i)).isoformat(),
                                "metrics": {"energy_kwh": 0.5}} for i in range(4)])

    async def energy():
        total = sum(day.total for day in (await api.readings.daily(sensor_id, tz="UTC")).days)
        return total if total >= 2.0 else None
    assert await eventually_async(energy, what="four readings summed") == pytest.approx(2.0)


async def test_blink_track_sync_and_stats(server, tmp_path):
    async with SensoriumClient(server.url, store=TokenStore(tmp_path / "dave.sqlite3")) as dave:
        await dave.login("dave", PASSWORDS["dave"])
        start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=2)
        records = [{"client_id": str(uuid.uuid4()), "timestamp": (start + timedelta(minutes=i)).isoformat(),
                    "blink_count": 15, "interval_s": 60, "screen_time_s": 60} for i in range(10)]
        async def stats_with(records_expected):
            stats = await dave.blinks.stats(start=start - timedelta(minutes=1), end=start + timedelta(hours=1),
                                            bucket="hour", tz="UTC")
            return stats if sum(bucket.records for bucket in stats.buckets) >= records_expected else None

        first = await dave.blinks.track(records[0])
        assert first.results[0].outcome == "created"
        await eventually_async(lambda: stats_with(1), what="the first record stored")
        assert (await dave.blinks.track(records[0])).results[0].outcome == "duplicate"
        synced = await dave.blinks.sync([*records, {**records[1], "client_id": "not-a-uuid"}])
        assert (synced.created, synced.duplicates, synced.rejected) == (9, 1, 1)
        stats = await eventually_async(lambda: stats_with(10), what="ten records stored")
        assert stats.total.blinks == 150 and stats.total.blinks_per_min == pytest.approx(15)
        assert sum(bucket.records for bucket in stats.buckets) == 10


async def test_products_event_and_sentence_command(api, unique):
    name = unique("drill")
    added = await api.products.event(name=name, event_type="added", location="shelf A")
    assert added.created and added.product.location == "shelf A"
    moved = await api.products.command(f"move the {name} to shelf B")
    assert moved.recorded and moved.product.location.lower() == "shelf b"
    detail = await api.products.get(added.product.id)
    assert [event.event_type for event in detail.events][:2] == ["moved", "added"]
    with pytest.raises(Exception) as unparsed:
        await api.products.command("hello there")
    assert getattr(unparsed.value, "status", None) in (400, 422)


async def test_exports_without_s3_is_a_503_with_the_servers_reason(api, unique):
    sensor_id = unique("imu")
    await api.sensors.create(id=sensor_id, name="x")
    now = datetime.now(timezone.utc)
    with pytest.raises(Exception) as unavailable:
        await api.exports.create(sensor=sensor_id, start=now - timedelta(hours=1), end=now)
    assert getattr(unavailable.value, "status", None) == 503 and unavailable.value.error
