"""GET /api/v1/data/{id}/daily: energy per day from the rollup, today summed live."""

from datetime import datetime, timedelta, timezone

import pytest

from telemetry.models import DailyTotal, RollupWatermark
from telemetry.rollups import continuous_aggregate_sql, daily_totals_refresh
from tests.telemetry.readings import metrics_store
from workers.tasks.rollups import daily_totals_refresh_task

pytestmark = pytest.mark.django_db

NOW = datetime.now(timezone.utc)
TODAY = NOW.date()


def at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=hour)


# Between midnight and now, whenever the suite runs; the newest reading.
EARLIER_TODAY = at(0, 0) + (NOW - at(0, 0)) / 2


@pytest.fixture
def meter(make_sensor, user):
    sensor, _ = make_sensor(owner=user, device_type="energy_meter")
    # Two days ago 1.5 kWh, yesterday nothing, today 0.75 kWh so far; voltage is not energy.
    metrics_store(sensor.pk, [(at(2, 1), "energy_kwh", 0.5), (at(2, 23), "energy_kwh", 1.0),
                              (at(0, 0), "energy_kwh", 0.25), (EARLIER_TODAY, "energy_kwh", 0.5),
                              (at(2, 5), "voltage", 230.0)])
    return sensor


def daily(client, sensor_id: str, **params):
    params.setdefault("start", (TODAY - timedelta(days=3)).isoformat())
    params.setdefault("end", TODAY.isoformat())
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return client.get(f"/api/v1/data/{sensor_id}/daily?{query}")


def totals(body) -> list[tuple[int, float, int]]:
    return [((TODAY - datetime.fromisoformat(day["date"]).date()).days, day["total"], day["readings"])
            for day in body["days"]]


def test_every_day_of_the_range_summed_with_today_live(alice_client, meter):
    body = daily(alice_client, meter.pk).json()
    assert body["metric"] == "energy_kwh"
    assert totals(body) == [(3, 0.0, 0), (2, 1.5, 2), (1, 0.0, 0), (0, 0.75, 2)]
    assert datetime.fromisoformat(body["last_reading_at"].replace("Z", "+00:00")) == EARLIER_TODAY


def test_past_days_come_from_the_rollup_and_today_stays_complete(alice_client, meter):
    assert daily_totals_refresh() == 1  # one (sensor, metric, day) row: two days ago
    assert RollupWatermark.objects.get().through == TODAY
    # The rollup is what answers for past days...
    DailyTotal.objects.filter(sensor_id=meter.pk).update(total=9.0)
    # ...while a reading arriving now counts today at once.
    metrics_store(meter.pk, [(EARLIER_TODAY + timedelta(microseconds=1), "energy_kwh", 0.25)])
    assert totals(daily(alice_client, meter.pk).json()) == [(3, 0.0, 0), (2, 9.0, 2), (1, 0.0, 0), (0, 1.0, 3)]


def test_refresh_is_idempotent_and_picks_up_late_readings(meter):
    daily_totals_refresh()
    daily_totals_refresh()
    assert list(DailyTotal.objects.values_list("total", "readings")) == [(1.5, 2)]
    metrics_store(meter.pk, [(at(1, 12), "energy_kwh", 2.0)])  # yesterday, arriving late
    assert daily_totals_refresh_task.delay().get() == 2
    assert sorted(DailyTotal.objects.values_list("total", "readings")) == [(1.5, 2), (2.0, 1)]


def test_other_metrics_are_summed_live(alice_client, meter):
    daily_totals_refresh()
    assert totals(daily(alice_client, meter.pk, metric="voltage").json())[1] == (2, 230.0, 1)


@pytest.mark.parametrize(("params", "field"), [
    ({"metric": "kwh!"}, "metric"), ({"metric": "a,b"}, "metric"),
    ({"start": "2026-13-01"}, "start"), ({"start": "2026-11-30", "end": "2026-11-01"}, "start"),
    ({"start": "2000-01-01", "end": "2026-11-01"}, "start"),
])
def test_bad_parameters_name_the_field(alice_client, meter, params, field):
    response = daily(alice_client, meter.pk, **params)
    assert response.status_code == 400 and field in response.json()["details"]


def test_another_users_meter_is_not_found(bob_client, meter):
    assert daily(bob_client, meter.pk).status_code == 404


def test_timescale_continuous_aggregate_sql():
    create, policy = continuous_aggregate_sql(names=("energy_kwh",), refresh_start_days=3)
    assert "WITH (timescaledb.continuous, timescaledb.materialized_only = false)" in create
    assert "time_bucket(INTERVAL '1 day', timestamp) AS day" in create
    assert "sum(value) AS total" in create and "WHERE name IN ('energy_kwh')" in create
    assert create.endswith("WITH NO DATA")
    assert "add_continuous_aggregate_policy('telemetry_daily_total_cagg'" in policy
    assert "start_offset => INTERVAL '3 days'" in policy
