"""The dashboards in headless Chromium against a real Daphne (HTTP and WebSockets)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from telemetry.blink.services import blink_records_sync
from tests.browser import PHONE, chromium_page, screenshot, sign_in
from tests.dashboards.device import simulated_device
from tests.dashboards.readings import blink_record, imu_frame, metric_reading
from tests.servers import daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alices_fleet(make_sensor, user):
    """The device tokens of Alice's two sensors."""
    _, forklift_token = make_sensor(owner=user, id="imu-forklift", name="Forklift motion")
    _, meter_token = make_sensor(owner=user, id="meter-main", name="Main panel", device_type="energy_meter")
    return {"imu-forklift": forklift_token, "meter-main": meter_token}


@pytest.fixture
def server():
    with daphne_server() as daphne:
        yield daphne


@pytest.fixture
def alices_history(alices_fleet, make_sensor, motion_history, send_readings, user):
    motion_history()
    make_sensor(owner=user, id="eye-desk", name="Desk eye tracker", device_type="eye_tracker")
    send_readings(user, [metric_reading("meter-main", hours * 3600, energy_kwh=0.4 + hours % 5 / 10,
                                        power=600.0 + 40 * (hours % 7))
                         for hours in range(0, 72)])
    blink_records_sync(user=user, records=[blink_record(minutes * 60, blink_count=10 + minutes % 9)
                                           for minutes in range(5, 24 * 60, 20)])


def test_every_page_is_reachable_from_the_navigation(server, alices_history, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password)
        expect(page.get_by_role("heading", name="Fleet overview")).to_be_visible()
        expect(page.get_by_role("row")).to_have_count(4)  # the header, two sensors, the eye tracker
        screenshot(page, "dashboards-overview.png")

        page.get_by_role("link", name="Forklift motion").click()
        expect(page.get_by_role("heading", name="Forklift motion", level=1)).to_be_visible()
        expect(page.locator("#history-charts canvas").first).to_be_visible()
        screenshot(page, "dashboards-sensor.png")

        navigation = page.get_by_role("navigation", name="Main")
        navigation.get_by_role("link", name="Energy").click()
        expect(page.get_by_role("heading", name="Energy", level=1)).to_be_visible()
        expect(page.locator(".chart canvas")).to_have_count(2)  # daily energy and today's power
        screenshot(page, "dashboards-energy.png")

        navigation.get_by_role("link", name="Wellness").click()
        expect(page.get_by_role("heading", name="Wellness", level=1)).to_be_visible()
        expect(page.get_by_text("Blinks per minute, per hour")).to_be_visible()
        screenshot(page, "dashboards-wellness.png")

        navigation.get_by_role("link", name="Products").click()
        expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
        screenshot(page, "dashboards-signed-out.png")


def test_changing_the_range_requests_a_bucketed_query(server, alices_history, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password, next_path="/sensors/imu-forklift/")
        expect(page.get_by_text("Table of the 180 buckets shown")).to_be_attached()
        expect(page.locator("#history-charts canvas")).to_have_count(2)  # acceleration, angular rate

        with page.expect_response(lambda response: "/api/v1/data/imu-forklift?" in response.url) as answer:
            page.get_by_text("7 days", exact=True).click()
        query = parse_qs(urlparse(answer.value.url).query)
        assert query["bucket"] == ["1h"]
        assert answer.value.ok
        assert answer.value.json()["bucket"] == "1h"
        expect(page.get_by_text("Averages per 1h bucket")).to_be_visible()
        expect(page.get_by_text("Table of the 4 buckets shown")).to_be_attached()
        assert "range=7d" in page.url
        assert "format=csv" in page.get_by_role("link", name="Download this range as CSV").get_attribute("href")
        screenshot(page, "dashboards-sensor-7d.png")


def test_the_overview_works_on_a_phone_and_by_keyboard(server, alices_fleet, user, password):
    with chromium_page(viewport=PHONE) as page:
        page.goto(f"{server.url}/accounts/login/")
        screenshot(page, "dashboards-sign-in-phone.png")
        sign_in(page, server.url, user.username, password)
        page.get_by_label("Type").select_option("energy_meter")
        page.get_by_label("Type").press("Tab")
        page.get_by_label("Status").press("Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("row")).to_have_count(2)
        expect(page.get_by_role("row").nth(1)).to_contain_text("Main panel")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        screenshot(page, "dashboards-overview-phone.png")

        page.get_by_role("link", name="Main panel").click()
        expect(page.get_by_role("heading", name="Main panel", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        screenshot(page, "dashboards-sensor-phone.png")


def test_the_overview_shows_a_device_go_online_when_it_connects(server, alices_fleet, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password)
        forklift = page.locator('tr[data-sensor-id="imu-forklift"]')
        expect(page.locator("#fleet-live-state")).to_have_text("connected")
        expect(forklift.locator(".connection")).to_have_text("Offline")
        expect(page.locator("#count-online")).to_have_text("0")

        with simulated_device(server.ws_url, "imu-forklift", alices_fleet["imu-forklift"]):
            expect(forklift.locator(".connection")).to_have_text("Online")
            expect(page.locator("#count-online")).to_have_text("1")
            expect(page.locator('tr[data-sensor-id="meter-main"] .connection')).to_have_text("Offline")
            screenshot(page, "dashboards-overview-online.png")

        expect(forklift.locator(".connection")).to_have_text("Offline")
        expect(page.locator("#count-online")).to_have_text("0")


def test_the_live_chart_receives_the_devices_readings(server, alices_fleet, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password, next_path="/sensors/imu-forklift/")
        expect(page.locator("#live-state")).to_have_text("Live")

        with simulated_device(server.ws_url, "imu-forklift", alices_fleet["imu-forklift"]) as device:
            started = timezone.now() - timedelta(seconds=5)
            for seq in range(1, 11):
                device.send(imu_frame("imu-forklift", seq, count=5, started=started))
                device.receive_until("ack")
            expect(page.locator("#frames-received")).to_have_text("50")
            expect(page.locator("#live-charts canvas")).to_have_count(2)
            expect(page.locator("#battery")).to_have_text("77 %")
            expect(page.locator("#connection")).to_have_text("Online")
            screenshot(page, "dashboards-sensor-live.png")


def test_sending_a_command_shows_its_status_change(server, alices_fleet, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password, next_path="/sensors/imu-forklift/")
        with simulated_device(server.ws_url, "imu-forklift", alices_fleet["imu-forklift"]) as device:
            page.get_by_role("combobox", name="Command").fill("set_interval")
            page.get_by_label("Parameters (JSON object, optional)").fill('{"interval_ms": 100}')
            page.get_by_role("button", name="Send").click()
            expect(page.locator("#command-feedback")).to_have_text("“set_interval” queued for the device.")

            command = device.receive_until("command")
            assert (command["name"], command["params"]) == ("set_interval", {"interval_ms": 100})
            row = page.locator(f'tr[data-command-id="{command["id"]}"]')
            expect(row).to_contain_text("Sent")
            device.send({"type": "command_result", "id": command["id"], "status": "ok",
                         "result": {"interval_ms": 100}})
            expect(row).to_contain_text("Acked")
            expect(row.get_by_role("cell").last).to_have_text('{"interval_ms":100}')
            screenshot(page, "dashboards-sensor-command.png")


def test_a_command_with_bad_parameters_is_refused_on_the_page(server, alices_fleet, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password, next_path="/sensors/imu-forklift/")
        page.get_by_role("combobox", name="Command").fill("reboot")
        page.get_by_label("Parameters (JSON object, optional)").fill("[1, 2]")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#command-feedback")).to_contain_text("Parameters must be a JSON object")
        expect(page.get_by_label("Parameters (JSON object, optional)")).to_have_attribute("aria-invalid", "true")

        page.get_by_label("Parameters (JSON object, optional)").fill("")
        page.get_by_role("combobox", name="Command").fill("9lives")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#command-feedback")).to_contain_text("name")
        expect(page.get_by_role("combobox", name="Command")).to_have_attribute("aria-invalid", "true")
