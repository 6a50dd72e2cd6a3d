"""GET /api/v1/data/{id}/daily: energy per day (in the asked or the profile's time zone) from
the hourly rollup, today summed live."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection

from telemetry.models import HourlyTotal, RollupWatermark
from telemetry.rollups import continuous_aggregates_drop_sql, daily_totals_refresh
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
    assert daily_totals_refresh() == 2  # two (sensor, metric, hour) rows: 01:00 and 23:00 two days ago
    assert RollupWatermark.objects.get().through == TODAY
    # The rollup is what answers for past days...
    HourlyTotal.objects.filter(sensor_id=meter.pk).update(total=4.5)
    # ...while a reading arriving now counts today at once.
    metrics_store(meter.pk, [(EARLIER_TODAY + timedelta(microseconds=1), "energy_kwh", 0.25)])
    assert totals(daily(alice_client, meter.pk).json()) == [(3, 0.0, 0), (2, 9.0, 2), (1, 0.0, 0), (0, 1.0, 3)]


def test_refresh_is_idempotent_and_picks_up_late_readings(meter):
    daily_totals_refresh()
    daily_totals_refresh()
    assert sorted(HourlyTotal.objects.values_list("total", "readings")) == [(0.5, 1), (1.0, 1)]
    metrics_store(meter.pk, [(at(1, 12), "energy_kwh", 2.0)])  # yesterday, arriving late
    assert daily_totals_refresh_task.delay().get() == 3
    assert sorted(HourlyTotal.objects.values_list("total", "readings")) == [(0.5, 1), (1.0, 1), (2.0, 1)]


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


def test_timescale_keeps_no_continuous_aggregate_the_rollup_table_serves_every_backend():
    assert continuous_aggregates_drop_sql() == ["DROP MATERIALIZED VIEW IF EXISTS telemetry_daily_total_cagg",
                                                "DROP MATERIALIZED VIEW IF EXISTS telemetry_hourly_total_cagg"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'telemetry_%%_cagg'")
            assert cursor.fetchone() == (0,)


# --- Days in a time zone ----------------------------------------------------------------

@pytest.mark.parametrize("rolled_up", [False, True])
def test_days_begin_at_midnight_in_the_asked_zone(alice_client, meter, rolled_up):
    if rolled_up:
        daily_totals_refresh()
    # Berlin is UTC+1 in winter: 23:00 UTC two days ago is midnight there the day after.
    body = daily(alice_client, meter.pk, tz="Europe/Berlin").json()
    assert body["tz"] == "Europe/Berlin"
    assert [(days_ago, total) for days_ago, total, _ in totals(body)] == [(3, 0.0), (2, 0.5), (1, 1.0), (0, 0.75)]


@pytest.mark.parametrize("rolled_up", [False, True])
def test_an_hour_cut_by_a_half_hour_zones_midnight_is_split_at_it(alice_client, meter, rolled_up):
    # Kolkata is UTC+5:30: its midnight is 18:30 UTC, in the middle of a rolled-up hour.
    metrics_store(meter.pk, [(at(2, 18) + timedelta(minutes=15), "energy_kwh", 0.25),
                             (at(2, 18) + timedelta(minutes=45), "energy_kwh", 0.75)])
    if rolled_up:
        daily_totals_refresh()
    body = daily(alice_client, meter.pk, tz="Asia/Kolkata").json()
    # two days ago (local): 06:30 0.5 + 23:45 0.25; yesterday: 00:15 0.75 + 04:30 1.0
    assert [(days_ago, total, n) for days_ago, total, n in totals(body)][1:3] == [(2, 0.75, 2), (1, 1.75, 2)]


def test_the_default_zone_is_the_users_profile_zone(alice_client, meter, user):
    user.profile.timezone = "Europe/Berlin"
    user.profile.save()
    body = daily(alice_client, meter.pk).json()
    assert body["tz"] == "Europe/Berlin" and totals(body)[1][1] == 0.5


def test_an_unknown_zone_is_a_400_naming_tz(alice_client, meter):
    response = daily(alice_client, meter.pk, tz="Mars/Olympus")
    assert response.status_code == 400 and "tz" in response.json()["details"]


@pytest.mark.parametrize("rolled_up", [False, True])
def test_the_day_clocks_go_forward_has_23_hours(alice_client, make_sensor, user, rolled_up):
    meter, _ = make_sensor(owner=user, device_type="energy_meter")
    # Berlin, 29 March 2026: local midnight is 23:00 UTC the day before, the next one 22:00 UTC.
    first = datetime(2026, 3, 28, 22, 30, tzinfo=timezone.utc)
    metrics_store(meter.pk, [(first + timedelta(hours=i), "energy_kwh", 1.0) for i in range(26)])
    if rolled_up:
        daily_totals_refresh()
    body = daily(alice_client, meter.pk, tz="Europe/Berlin", start="2026-03-28", end="2026-03-30").json()
    assert [(day["date"], day["total"]) for day in body["days"]] == [
        ("2026-03-28", 1.0), ("2026-03-29", 23.0), ("2026-03-30", 2.0)]
