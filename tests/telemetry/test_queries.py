"""GET /api/v1/data/{id}, /data/latest/{id}, /retrieve-data/{id}: ranges, fields, pages, buckets."""

from datetime import timedelta

import pytest

from telemetry import selectors
from tests.telemetry.readings import T0, imu_store, iso, metrics_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def imu(make_sensor, user):
    sensor, _ = make_sensor(owner=user, device_type="imu")
    return sensor


@pytest.fixture
def meter(make_sensor, user):
    sensor, _ = make_sensor(owner=user, device_type="energy_meter")
    return sensor


def readings_url(sensor_id: str, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/data/{sensor_id}?{query}"


def test_range_returns_readings_in_the_wire_format_newest_first(alice_client, imu):
    imu_store(imu.pk, count=10)
    response = alice_client.get(readings_url(imu.pk, start=iso(T0 + timedelta(seconds=2)), end=iso(T0 + timedelta(seconds=5))))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and body["next_cursor"] is None and body["bucket"] is None
    first = body["results"][0]
    assert first["timestamp"] == "2026-11-20T10:00:04Z"
    assert first["acceleration"] == {"x": 4.0, "y": 0.5, "z": 9.81}
    assert first["gyroscope"] == {"x": 0.1, "y": 0.0, "z": -4.0}
    assert (first["battery_level"], first["signal_strength"]) == (96, -60)
    assert [row["acceleration"]["x"] for row in body["results"]] == [4.0, 3.0, 2.0]


def test_oldest_first_and_epoch_milliseconds(alice_client, imu):
    imu_store(imu.pk, count=5)
    start_ms = int(T0.timestamp() * 1000)
    body = alice_client.get(readings_url(imu.pk, start=start_ms, order="oldest")).json()
    assert [row["acceleration"]["x"] for row in body["results"]] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_fields_limit_what_each_reading_carries(alice_client, imu):
    imu_store(imu.pk, count=2)
    body = alice_client.get(readings_url(imu.pk, start=iso(T0), fields="acceleration,battery_level")).json()
    assert set(body["results"][0]) == {"timestamp", "acceleration", "battery_level"}
    assert body["fields"] == ["accel_x", "accel_y", "accel_z", "battery_level"]


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "yesterday"}, "start"),
    ({"start": "2026-11-20T10:00:00"}, "start"),
    ({"start": "2026-11-20T10:00:00Z", "end": "2026-11-20T09:00:00Z"}, "end"),
    ({"bucket": "7m"}, "bucket"),
    ({"fields": "acceleration,colour"}, "fields"),
    ({"limit": "0"}, "limit"),
    ({"order": "sideways"}, "order"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"metric": "bad name!"}, "metric"),
])
def test_bad_parameters_get_a_400_naming_the_field(alice_client, imu, params, field):
    response = alice_client.get(readings_url(imu.pk, **params))
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["details"] and body["error"]


def test_cursor_pages_cover_the_range_once_even_while_readings_arrive(alice_client, imu):
    imu_store(imu.pk, count=25)
    seen, url = [], readings_url(imu.pk, start=iso(T0), limit=10)
    body = alice_client.get(url).json()
    seen += [row["timestamp"] for row in body["results"]]
    # A device keeps sending while the client pages back in time.
    imu_store(imu.pk, count=3, start=T0 + timedelta(minutes=5))
    while body["next"]:
        body = alice_client.get(body["next"]).json()
        seen += [row["timestamp"] for row in body["results"]]
    assert len(seen) == 25 and len(set(seen)) == 25
    assert seen == sorted(seen, reverse=True)


def test_cursor_on_timestamp_and_name_splits_metrics_of_one_instant(alice_client, meter):
    names = ["current", "power", "voltage"]
    metrics_store(meter.pk, [(T0 + timedelta(seconds=s), name, float(s)) for s in range(4) for name in names])
    pages, params = [], {"start": iso(T0), "limit": 5, "order": "oldest"}
    cursor = None
    while True:
        body = alice_client.get(readings_url(meter.pk, **params, **({"cursor": cursor} if cursor else {}))).json()
        pages.append([(row["timestamp"][-3:-1], row["name"]) for row in body["results"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
    flat = [item for page in pages for item in page]
    assert [len(page) for page in pages] == [5, 5, 2]
    assert flat == [(f"{s:02d}", name) for s in range(4) for name in names]


def test_one_minute_buckets_give_avg_min_max_and_count(alice_client, imu):
    imu_store(imu.pk, count=150)  # 10:00:00 .. 10:02:29, accel_x = i
    body = alice_client.get(readings_url(imu.pk, start=iso(T0), bucket="1m", order="oldest", fields="acceleration")).json()
    assert body["bucket"] == "1m" and body["bucket_chosen_by_server"] is False
    assert [row["timestamp"] for row in body["results"]] == ["2026-11-20T10:00:00Z", "2026-11-20T10:01:00Z", "2026-11-20T10:02:00Z"]
    first, last = body["results"][0], body["results"][2]
    assert first["count"] == 60 and first["accel_x"] == {"avg": 29.5, "min": 0.0, "max": 59.0}
    assert last["count"] == 30 and last["accel_x"] == {"avg": 134.5, "min": 120.0, "max": 149.0}
    assert set(first) == {"timestamp", "count", "accel_x", "accel_y", "accel_z"}


def test_bucket_pages_follow_the_cursor(alice_client, imu):
    imu_store(imu.pk, count=300)  # five minutes
    body = alice_client.get(readings_url(imu.pk, start=iso(T0), bucket="1m", limit=2)).json()
    starts = [row["timestamp"] for row in body["results"]]
    while body["next"]:
        body = alice_client.get(body["next"]).json()
        starts += [row["timestamp"] for row in body["results"]]
    assert starts == [f"2026-11-20T10:0{m}:00Z" for m in (4, 3, 2, 1, 0)]


def test_metric_buckets_by_name(alice_client, meter):
    metrics_store(meter.pk, [(T0 + timedelta(minutes=m), name, value)
                             for m in range(10) for name, value in (("voltage", 230.0 + m), ("current", 1.0))])
    body = alice_client.get(readings_url(meter.pk, start=iso(T0), bucket="5m", metric="voltage", order="oldest")).json()
    assert body["kind"] == "metric"
    assert [(row["name"], row["count"], row["min"], row["max"], row["avg"]) for row in body["results"]] == [
        ("voltage", 5, 230.0, 234.0, 232.0), ("voltage", 5, 235.0, 239.0, 237.0)]


def test_long_range_without_bucket_is_downsampled_to_at_most_2000_points(alice_client, imu, monkeypatch):
    monkeypatch.setattr(selectors, "MAX_POINTS_PER_SERIES", 50)
    imu_store(imu.pk, count=600)  # ten minutes at 1 Hz
    body = alice_client.get(readings_url(imu.pk, start=iso(T0), end=iso(T0 + timedelta(minutes=10)))).json()
    assert body["bucket_chosen_by_server"] is True and body["bucket"] == "1m"
    assert body["count"] == 10 and sum(row["count"] for row in body["results"]) == 600
    raw = alice_client.get(readings_url(imu.pk, start=iso(T0), bucket="raw", limit=100)).json()
    assert raw["bucket"] is None and raw["count"] == 100


def test_bucket_for_range_picks_the_smallest_width_within_the_limit():
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(minutes=30)) == "1s"
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(hours=24)) == "1m"
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(days=6)) == "5m"
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(days=7)) == "1h"
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(days=60)) == "1h"
    assert selectors.bucket_for_range(start=T0, end=T0 + timedelta(days=4000)) == "1d"


def test_latest_imu_reading(alice_client, imu):
    imu_store(imu.pk, count=30)
    body = alice_client.get(f"/api/v1/data/latest/{imu.pk}").json()
    assert body["sensor_id"] == imu.pk and body["timestamp"] == "2026-11-20T10:00:29Z"
    assert body["acceleration"]["x"] == 29.0


def test_latest_metric_reading_in_the_wire_format(alice_client, meter):
    metrics_store(meter.pk, [(T0, "voltage", 230.0), (T0, "current", 1.5),
                             (T0 + timedelta(seconds=5), "voltage", 231.0), (T0 + timedelta(seconds=9), "energy_kwh", 0.2)])
    body = alice_client.get(f"/api/v1/data/latest/{meter.pk}").json()
    assert body == {"sensor_id": meter.pk, "timestamp": "2026-11-20T10:00:09Z", "metrics": {"energy_kwh": 0.2}}
    body = alice_client.get(f"/api/v1/data/latest/{meter.pk}?metric=voltage,current").json()
    assert body["timestamp"] == "2026-11-20T10:00:05Z" and body["metrics"] == {"voltage": 231.0}


def test_latest_without_readings_is_404_in_the_error_shape(alice_client, imu):
    response = alice_client.get(f"/api/v1/data/latest/{imu.pk}")
    assert response.status_code == 404 and "no imu readings" in response.json()["error"]


def test_retrieve_data_is_the_readings_query(alice_client, imu):
    imu_store(imu.pk, count=4)
    params = {"start": iso(T0), "limit": 3}
    old_name = alice_client.get(f"/api/v1/retrieve-data/{imu.pk}?start={params['start']}&limit=3").json()
    new_name = alice_client.get(readings_url(imu.pk, **params)).json()
    assert old_name["results"] == new_name["results"] and old_name["next_cursor"] == new_name["next_cursor"]


@pytest.mark.parametrize("path", ["/api/v1/data/{id}", "/api/v1/data/latest/{id}", "/api/v1/retrieve-data/{id}",
                                  "/api/v1/data/{id}?format=csv"])
def test_another_users_sensor_is_not_found(bob_client, imu, path):
    imu_store(imu.pk, count=3)
    response = bob_client.get(path.format(id=imu.pk))
    assert response.status_code == 404 and response.json()["error"]


def test_anonymous_caller_is_refused(api_client, imu):
    assert api_client.get(f"/api/v1/data/{imu.pk}").status_code == 401
