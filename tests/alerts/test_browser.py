"""The alarm banner in headless Chromium against a real Daphne: it appears live on the fleet
page when a device goes silent, and acknowledging it from the banner works."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alarm, AlarmState
from sensors.models import Sensor
from tests.alerts.helpers import rule_make
from tests.browser import chromium_page, screenshot, sign_in
from tests.dashboards.device import simulated_device
from tests.servers import daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def orm(function, *args, **kwargs):
    """Run ORM code from inside Playwright's event loop (where Django refuses it) in a thread."""
    result = {}

    def run():
        try:
            result["value"] = function(*args, **kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result.get("value")


@pytest.fixture
def meter(make_sensor, user):
    sensor, token = make_sensor(owner=user, id="meter-main", name="Main panel", device_type="energy_meter")
    rule_make(owner=user, sensor=sensor, name="Main panel silent", condition="silent", silent_seconds=30,
              severity="critical")
    return token


def test_the_banner_appears_live_and_the_alarm_is_acknowledged_from_it(meter, user, password):
    with daphne_server() as server, chromium_page() as page:
        sign_in(page, server.url, user.username, password)
        banner = page.locator("#alarm-banner")
        expect(banner).to_be_hidden()
        expect(page.locator("#fleet-live-state")).to_have_text("connected")
        with simulated_device(server.ws_url, "meter-main", meter):
            expect(page.locator('tr[data-sensor-id="meter-main"]')).to_have_attribute("data-online", "true")
            # The device was last heard a minute ago (as if its messages stopped), then its socket drops.
            orm(lambda: Sensor.objects.filter(pk="meter-main").update(
                last_message_at=timezone.now() - timedelta(seconds=60)))
        expect(banner).to_be_visible()
        expect(page.locator("#alarm-count")).to_have_text("1")
        expect(banner.get_by_text("Main panel silent: meter-main no message for 30 s")).to_be_visible()
        screenshot(page, "alarms-banner-live.png")

        banner.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("acknowledged.", exact=False)).to_be_visible()
        expect(banner.locator(".alarm-state")).to_have_text("Acknowledged")
        expect(banner.get_by_role("button", name="Acknowledge")).to_have_count(0)

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Alarms").click()
        expect(page.get_by_role("heading", name="Alarms", level=1)).to_be_visible()
        expect(page.locator("#alarms tbody tr")).to_have_count(1)
        screenshot(page, "alarms-page.png")
    alarm = Alarm.objects.get()
    assert (alarm.state, alarm.acknowledged_by) == (AlarmState.ACKNOWLEDGED, user)
