"""format=csv on the readings query: the whole range, streamed in chunks."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connections
from django.test import AsyncClient
from rest_framework_simplejwt.tokens import RefreshToken

from telemetry import selectors
from tests.telemetry.readings import T0, imu_store, iso, metrics_store


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


@pytest.mark.django_db
def test_csv_streams_every_reading_of_the_range_across_chunks(alice_client, make_sensor, user, monkeypatch):
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 7)
    sensor, _ = make_sensor(owner=user)
    imu_store(sensor.pk, count=50)
    response = alice_client.get(f"/api/v1/data/{sensor.pk}?start={iso(T0)}&order=oldest&format=csv&fields=acceleration")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0] == ["timestamp", "accel_x", "accel_y", "accel_z"]
    assert len(rows) == 51
    assert rows[1] == ["2026-11-20T10:00:00Z", "0.0", "0.5", "9.81"]
    assert [float(row[1]) for row in rows[1:]] == [float(i) for i in range(50)]


@pytest.mark.django_db
def test_csv_of_metric_buckets(alice_client, make_sensor, user):
    sensor, _ = make_sensor(owner=user, device_type="energy_meter")
    metrics_store(sensor.pk, [(T0 + timedelta(minutes=m), "power", float(m)) for m in range(120)])
    response = alice_client.get(f"/api/v1/data/{sensor.pk}?start={iso(T0)}&bucket=1h&format=csv")
    rows = csv_rows(response)
    assert rows[0] == ["timestamp", "name", "count", "avg", "min", "max"]
    assert rows[1:] == [["2026-11-20T11:00:00Z", "power", "60", "89.5", "60.0", "119.0"],
                        ["2026-11-20T10:00:00Z", "power", "60", "29.5", "0.0", "59.0"]]


@pytest.mark.django_db(transaction=True)
async def test_csv_under_asgi_streams_through_an_async_iterator(make_sensor, user, monkeypatch):
    from asgiref.sync import sync_to_async

    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 10)
    sensor, _ = await sync_to_async(make_sensor)(owner=user)
    await sync_to_async(imu_store)(sensor.pk, count=35)
    token = await sync_to_async(lambda: str(RefreshToken.for_user(user).access_token))()
    response = await AsyncClient().get(f"/api/v1/data/{sensor.pk}?start={iso(T0)}&format=csv",
                                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.is_async, response.content
    content = b"".join([chunk async for chunk in response.streaming_content]).decode()
    # The request ran on asgiref's thread; close its connection so the test database can be dropped.
    await sync_to_async(connections.close_all)()
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 36 and rows[1][0] == "2026-11-20T10:00:34Z"
