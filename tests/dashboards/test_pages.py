"""The dashboard pages through Django's test client: who may see what, and what they show."""

from datetime import datetime

import pytest
from django.utils import timezone

from sensors.presence import presence_connect
from sensors.services import command_create
from telemetry import ingest
from telemetry.blink.services import blink_records_sync
from tests.dashboards.readings import blink_record, imu_reading, metric_reading

pytestmark = pytest.mark.django_db

PAGES = ["/", "/energy/", "/wellness/"]


@pytest.fixture
def alice_browser(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def fleet(make_sensor, user, other_user):
    forklift, _ = make_sensor(owner=user, id="imu-forklift", name="Forklift motion")
    meter, _ = make_sensor(owner=user, id="meter-main", name="Main panel", device_type="energy_meter")
    broken, _ = make_sensor(owner=user, id="imu-broken", name="Broken arm", status="error")
    bobs, _ = make_sensor(owner=other_user, id="imu-bob", name="Bob's secret sensor")
    return {"forklift": forklift, "meter": meter, "broken": broken, "bobs": bobs}


@pytest.mark.parametrize("path", [*PAGES, "/sensors/imu-forklift/"])
def test_pages_send_a_signed_out_visitor_to_sign_in(client, fleet, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_with_navigation_for_its_user(alice_browser, fleet, path):
    page = alice_browser.get(path).content.decode()

    for link in ('href="/"', 'href="/energy/"', 'href="/wellness/"', 'href="/products/"'):
        assert link in page
    assert 'aria-current="page"' in page
    assert "Sign out" in page
    assert "Bob&#x27;s secret sensor" not in page and "imu-bob" not in page


def test_admin_link_is_offered_to_staff_only(client, alice_browser, staff_user, fleet):
    assert 'href="/admin/"' not in alice_browser.get("/").content.decode()
    client.force_login(staff_user)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_overview_lists_own_sensors_with_counts_and_readings_in_the_last_hour(alice_browser, fleet, user):
    presence_connect(sensor_id="meter-main", channel="test-channel")
    ingest.accept(payload=[imu_reading("imu-forklift", 60, battery_level=15, signal_strength=-70),
                           imu_reading("imu-forklift", 30),
                           imu_reading("imu-forklift", 2 * 3600)], source="test", user=user)
    ingest.accept(payload=[metric_reading("meter-main", 10, voltage=230.0, current=1.5)],
                  source="test", user=user)

    response = alice_browser.get("/")
    page = response.content.decode()

    sensors = {sensor.pk: sensor for sensor in response.context["sensors"]}
    assert set(sensors) == {"imu-forklift", "meter-main", "imu-broken"}
    assert sensors["imu-forklift"].readings_last_hour == 2
    assert sensors["meter-main"].readings_last_hour == 1
    assert sensors["imu-broken"].readings_last_hour == 0
    counts = response.context["counts"]
    assert (counts.total, counts.online, counts.active, counts.error, counts.inactive) == (3, 1, 2, 1, 0)
    forklift_row = page.split('data-sensor-id="imu-forklift"')[1].split("</tr>")[0]
    assert "Forklift motion" in forklift_row and 'href="/sensors/imu-forklift/"' in forklift_row
    assert "15 %" in forklift_row and "-70 dBm" in forklift_row and "battery low" in forklift_row
    assert "ago</time>" in forklift_row
    assert "never" in page.split('data-sensor-id="imu-broken"')[1].split("</tr>")[0]
    meter_row = page.split('data-sensor-id="meter-main"')[1].split("</tr>")[0]
    assert "Online" in meter_row and "Offline" in forklift_row


def test_overview_filters_by_type_and_status(alice_browser, fleet):
    def listed(**query):
        return [sensor.pk for sensor in alice_browser.get("/", query).context["sensors"]]

    assert listed(device_type="energy_meter") == ["meter-main"]
    assert listed(status="error") == ["imu-broken"]
    assert listed(device_type="imu", status="active") == ["imu-forklift"]
    assert listed(device_type="not-a-type") == ["imu-broken", "imu-forklift", "meter-main"]
    assert "No sensor matches." in alice_browser.get("/", {"device_type": "eye_tracker"}).content.decode()


def test_staff_see_every_sensor(client, staff_user, fleet):
    client.force_login(staff_user)

    assert "imu-bob" in [sensor.pk for sensor in client.get("/").context["sensors"]]
    assert client.get("/sensors/imu-bob/").status_code == 200


def test_sensor_page_shows_the_owners_sensor(alice_browser, fleet, user):
    ingest.accept(payload=[imu_reading("imu-forklift", 5, battery_level=64, signal_strength=-58)],
                  source="test", user=user)

    page = alice_browser.get("/sensors/imu-forklift/").content.decode()

    assert "<h1>Forklift motion</h1>" in page
    assert "64 %" in page and "-58 dBm" in page


def test_another_users_sensor_page_is_not_found(alice_browser, fleet):
    assert alice_browser.get("/sensors/imu-bob/").status_code == 404
    assert alice_browser.get("/sensors/no-such-sensor/").status_code == 404


def test_energy_page_lists_only_own_meters(alice_browser, fleet, make_sensor, other_user):
    make_sensor(owner=other_user, id="meter-bob", name="Bob's meter", device_type="energy_meter")

    page = alice_browser.get("/energy/").content.decode()

    assert "Main panel" in page and "meter-bob" not in page and "Forklift motion" not in page


def test_signing_out_asks_on_get_and_signs_out_on_post(alice_browser):
    confirm = alice_browser.get("/accounts/logout/")
    assert confirm.status_code == 200
    assert "You are signed in as <strong>alice</strong>" in confirm.content.decode()

    signed_out = alice_browser.post("/accounts/logout/")
    assert signed_out.status_code == 200
    assert "You have been signed out" in signed_out.content.decode()
    assert alice_browser.get("/").status_code == 302


def test_sign_in_page_signs_in_and_returns_to_the_page_asked_for(client, user, password, fleet):
    page = client.get("/accounts/login/?next=/energy/").content.decode()
    assert '<label for="id_username">Username</label>' in page

    response = client.post("/accounts/login/", {"username": "alice", "password": password,
                                                "next": "/energy/"})

    assert response.status_code == 302 and response["Location"] == "/energy/"


def test_sensor_history_is_bucketed_for_the_range_and_keeps_spikes(alice_browser, fleet, motion_history):
    motion_history()

    day = alice_browser.get("/sensors/imu-forklift/", {"range": "24h"})
    hour = alice_browser.get("/sensors/imu-forklift/", {"range": "1h"})
    week = alice_browser.get("/sensors/imu-forklift/", {"range": "7d"})

    assert day.context["history"].bucket == "1m" and len(day.context["history"].rows) == 180
    assert 59 <= len(hour.context["history"].rows) <= 60
    assert week.context["history"].bucket == "1h" and len(week.context["history"].rows) in (3, 4)
    spike_hour = max(week.context["history"].rows, key=lambda row: row[2][0]["max"])
    assert spike_hour[2][0]["max"] == 25.0 and spike_hour[2][0]["avg"] < 25.0
    page = week.content.decode()
    assert "Acceleration x (m/s²)" in page and "25.000" in page
    assert 'value="7d" checked' in page
    assert "format=csv" in page


def test_sensor_page_shows_the_latest_reading(alice_browser, fleet, send_readings, user):
    send_readings(user, [metric_reading("meter-main", 30, voltage=231.5, power=1200.0)])

    page = alice_browser.get("/sensors/meter-main/").content.decode()

    latest = page.split('id="latest-values"')[1].split("</dl>")[0]
    assert "voltage</dt>" in latest and "231.500 V" in latest and "1200.000 W" in latest


def test_a_custom_range_ending_before_it_starts_is_explained(alice_browser, fleet):
    response = alice_browser.get("/sensors/imu-forklift/", {
        "range": "custom", "start": "2026-11-30T10:00", "end": "2026-11-30T09:00"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "The end must be after the start." in page
    assert 'id="range-end" name="end"' in page and 'aria-invalid="true"' in page


def test_a_custom_range_is_read_as_utc(alice_browser, fleet):
    response = alice_browser.get("/sensors/imu-forklift/", {
        "range": "custom", "start": "2026-11-01T06:00", "end": "2026-11-01T18:00"})

    shown = response.context["shown"]
    assert (shown.start.isoformat(), shown.end.isoformat()) == (
        "2026-11-01T06:00:00+00:00", "2026-11-01T18:00:00+00:00")
    assert response.context["history"].bucket == "1m"


def test_energy_page_shows_daily_totals_and_todays_power(alice_browser, fleet, send_readings, user):
    now = timezone.now()
    seconds_since_midnight = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    yesterday_noon = seconds_since_midnight + 12 * 3600
    send_readings(user, [
        metric_reading("meter-main", yesterday_noon, energy_kwh=2.5),
        metric_reading("meter-main", yesterday_noon + 60, energy_kwh=1.25),
        metric_reading("meter-main", min(60, seconds_since_midnight / 2), energy_kwh=0.5, power=800.0),
    ])

    response = alice_browser.get("/energy/")

    meter = response.context["meters"][0]
    assert len(meter.daily) == 30 and meter.daily[-1][0] == now.date()
    assert [kwh for _, kwh in meter.daily[-3:]] == [0.0, 3.75, 0.5]
    assert meter.today_kwh == 0.5 and meter.total_kwh == 4.25 and meter.power_now == 800.0
    page = response.content.decode()
    assert "3.750" in page and "4.25 kWh" in page and "800.0 W" in page
    # The power chart spans today from midnight, not just the one bucket there is.
    since, until = (datetime.fromisoformat(moment) for moment in meter.chart_data()["powerRange"])
    assert since == now.replace(hour=0, minute=0, second=0, microsecond=0) and since < until <= timezone.now()


def test_sensor_page_lists_recent_commands_with_their_status(alice_browser, fleet, user):
    command_create(sensor=fleet["forklift"], name="set_interval", params={"interval_ms": 50},
                   ttl_seconds=60, created_by=user)

    page = alice_browser.get("/sensors/imu-forklift/").content.decode()

    commands = page.split('id="command-list"')[1].split("</table>")[0]
    assert "set_interval" in commands and '{&quot;interval_ms&quot;:50}' in commands
    assert 'data-status="queued"' in commands and "Queued" in commands
    assert 'data-url="/api/v1/sensors/imu-forklift/commands"' in page


def test_wellness_shows_only_the_signed_in_users_blinks(alice_browser, user, other_user):
    blink_records_sync(user=user, records=[blink_record(600, blink_count=12), blink_record(300, blink_count=18)])
    blink_records_sync(user=other_user, records=[blink_record(600, blink_count=99)])

    response = alice_browser.get("/wellness/")

    assert [row["blinks"] for row in response.context["hourly"]] in ([30], [12, 18])
    assert sum(row["blinks"] for row in response.context["daily"]) == 30
    page = response.content.decode()
    assert "15.0" in page or ("12.0" in page and "18.0" in page)  # one hour, or split across two
    assert "99" not in page.split("<main")[1]
