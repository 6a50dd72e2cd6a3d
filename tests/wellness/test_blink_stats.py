"""Stats buckets. These run on SQLite and, with DATABASE_URL set, on PostgreSQL."""

from datetime import timedelta

import pytest


@pytest.fixture
def alice_history(alice_client, record, day):
    records = [
        record(day + timedelta(hours=9, minutes=5), blink_count=10, interval_s=60),
        record(day + timedelta(hours=9, minutes=40), blink_count=20, interval_s=120),
        record(day + timedelta(hours=11), blink_count=6, interval_s=30),
        record(day - timedelta(minutes=30), blink_count=9, interval_s=60),  # 23:30 the day before (UTC)
    ]
    assert alice_client.post("/api/v1/blink/sync", {"records": records}, format="json").json()["created"] == 4


def test_hourly_buckets_give_blinks_per_minute_and_tracked_time(alice_client, alice_history):
    response = alice_client.get("/api/v1/blink/stats", {"from": "2026-11-02T00:00:00Z", "to": "2026-11-03T00:00:00Z",
                                                         "bucket": "hour", "tz": "UTC"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["buckets"] == [
        {"start": "2026-11-02T09:00:00+00:00", "blinks": 30, "tracked_s": 180.0, "blinks_per_min": 10.0, "records": 2},
        {"start": "2026-11-02T11:00:00+00:00", "blinks": 6, "tracked_s": 30.0, "blinks_per_min": 12.0, "records": 1},
    ]
    assert body["total"] == {"blinks": 36, "tracked_s": 210.0, "blinks_per_min": 10.29}


def test_daily_buckets_follow_the_time_zone(alice_client, alice_history):
    utc = alice_client.get("/api/v1/blink/stats", {"from": "2026-11-01", "to": "2026-11-04", "bucket": "day",
                                                    "tz": "UTC"}).json()
    assert [(b["start"], b["blinks"]) for b in utc["buckets"]] == [
        ("2026-11-01T00:00:00+00:00", 9), ("2026-11-02T00:00:00+00:00", 36)]
    # In Berlin (UTC+1) 23:30 UTC is already the next morning.
    berlin = alice_client.get("/api/v1/blink/stats", {"from": "2026-11-01", "to": "2026-11-04", "bucket": "day",
                                                       "tz": "Europe/Berlin"}).json()
    assert [(b["start"], b["blinks"], b["tracked_s"]) for b in berlin["buckets"]] == [
        ("2026-11-02T00:00:00+01:00", 45, 270.0)]


def test_profile_time_zone_is_the_default(alice_client, alice_history, user):
    user.profile.timezone = "Europe/Berlin"
    user.profile.save()
    body = alice_client.get("/api/v1/blink/stats", {"from": "2026-11-01", "to": "2026-11-04", "bucket": "day"}).json()
    assert body["tz"] == "Europe/Berlin" and len(body["buckets"]) == 1


def test_a_user_never_reads_another_users_blinks(bob_client, alice_history):
    body = bob_client.get("/api/v1/blink/stats", {"from": "2026-11-01", "to": "2026-11-04", "bucket": "day"}).json()
    assert body["buckets"] == [] and body["total"] == {"blinks": 0, "tracked_s": 0, "blinks_per_min": None}


@pytest.mark.parametrize(("params", "field"), [
    ({"bucket": "week"}, "bucket"),
    ({"from": "2026-11-02T09:00:00"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2026-11-03", "to": "2026-11-02"}, "from"),
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"from": "2020-01-01", "to": "2026-01-01", "bucket": "hour"}, "from"),
])
def test_bad_stats_parameters_are_a_400_naming_the_parameter(alice_client, params, field):
    response = alice_client.get("/api/v1/blink/stats", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["details"]
