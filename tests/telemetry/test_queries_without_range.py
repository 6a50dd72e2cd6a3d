"""GET /api/v1/data/{id} and the first system's GET /retrieve-data/{id} without a range: the
sensor's newest readings, however old (they answered an empty last-24-hours window)."""

from datetime import datetime, timedelta, timezone

import pytest

from telemetry import selectors
from tests.telemetry.readings import imu_store, iso, metrics_store

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/data/{id}", "/api/v1/retrieve-data/{id}"]
TWO_WEEKS_AGO = (datetime.now(timezone.utc) - timedelta(days=14)).replace(microsecond=0)


@pytest.fixture
def silent_imu(make_sensor, user):
    """An IMU whose 2,500 readings (one a second) ended two weeks ago."""
    sensor, _ = make_sensor(owner=user, device_type="imu")
    return sensor, imu_store(sensor.pk, count=2500, start=TWO_WEEKS_AGO)


@pytest.mark.parametrize("path", PATHS)
def test_no_range_answers_the_newest_page_newest_first(alice_client, silent_imu, path):
    sensor, moments = silent_imu
    body = alice_client.get(path.format(id=sensor.pk)).json()
    newest = moments[::-1][: selectors.DEFAULT_LIMIT]
    assert [row["timestamp"] for row in body["results"]] == [iso(moment) for moment in newest]
    assert body["results"][0]["acceleration"]["x"] == 2499.0
    assert (body["start"], body["end"], body["order"], body["bucket"]) == (None, None, "newest", None)
    assert body["bucket_chosen_by_server"] is False and body["next_cursor"]


@pytest.mark.parametrize("path", PATHS)
def test_no_range_pages_back_through_the_whole_history(alice_client, silent_imu, path):
    sensor, moments = silent_imu
    url, seen = path.format(id=sensor.pk) + "?limit=1000", []
    while url:
        body = alice_client.get(url).json()
        seen += [row["acceleration"]["x"] for row in body["results"]]
        url = body["next"]
    assert seen == [float(i) for i in reversed(range(len(moments)))]


def test_no_range_oldest_first_starts_at_the_first_reading(alice_client, silent_imu):
    sensor, _ = silent_imu
    body = alice_client.get(f"/api/v1/data/{sensor.pk}?order=oldest&limit=3").json()
    assert [row["acceleration"]["x"] for row in body["results"]] == [0.0, 1.0, 2.0]


def test_no_range_for_a_metric_sensor(alice_client, make_sensor, user):
    meter, _ = make_sensor(owner=user, device_type="energy_meter")
    metrics_store(meter.pk, [(TWO_WEEKS_AGO + timedelta(minutes=i), "power", float(i)) for i in range(5)])
    body = alice_client.get(f"/api/v1/retrieve-data/{meter.pk}?limit=2").json()
    assert [(row["name"], row["value"]) for row in body["results"]] == [("power", 4.0), ("power", 3.0)]


def test_an_end_alone_still_means_the_day_before_it(alice_client, silent_imu):
    sensor, moments = silent_imu
    end = moments[-1] + timedelta(seconds=1)
    body = alice_client.get(f"/api/v1/data/{sensor.pk}?end={iso(end)}&limit=5").json()
    assert body["start"] == iso(end - selectors.DEFAULT_RANGE)
    assert body["results"][0]["acceleration"]["x"] == 2499.0


def test_the_schema_documents_the_default(alice_client):
    schema = alice_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/retrieve-data/{device_id}"]["get"]
    assert "newest readings" in operation["description"]
    start = next(parameter for parameter in operation["parameters"] if parameter["name"] == "start")
    assert "newest readings" in start["description"]
