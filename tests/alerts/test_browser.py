"""The alarm banner in headless Chromium against a real Daphne: it appears live on the fleet
page when a device goes silent, and acknowledging it from the banner works."""

import threading
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import Alarm, AlarmState
from sensors.models import Sensor
from tests.alerts.helpers import rule_make
from tests.browser import chromium_page, screenshot, sign_in
from tests.dashboards.device import simulated_device
from tests.servers import celery_worker, daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def writer():
    return celery_worker() if settings.CELERY_BROKER_URL else nullcontext()


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
    sensor, token = make_sensor(owner=user, id="panel-alarm-ui", name="Main panel", device_type="energy_meter")
    rule_make(owner=user, sensor=sensor, name="Main panel silent", condition="silent", silent_seconds=30,
              severity="critical")
    return token


def test_the_banner_appears_live_and_the_alarm_is_acknowledged_from_it(meter, user, password):
    with daphne_server() as server, chromium_page() as page:
        sign_in(page, server.url, user.username, password)
        banner = page.locator("#alarm-banner")
        expect(banner).to_be_hidden()
        expect(banner).to_have_attribute("data-live", "open")
        with simulated_device(server.ws_url, "panel-alarm-ui", meter):
            expect(page.locator('tr[data-sensor-id="panel-alarm-ui"]')).to_have_attribute("data-online", "true")
            # The device was last heard a minute ago (as if its messages stopped), then its socket drops.
            orm(lambda: Sensor.objects.filter(pk="panel-alarm-ui").update(
                last_message_at=timezone.now() - timedelta(seconds=60)))
        expect(banner).to_be_visible()
        expect(page.locator("#alarm-count")).to_have_text("1")
        expect(banner.get_by_text("Main panel silent: panel-alarm-ui no message for 30 s")).to_be_visible()
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


def test_the_sensor_page_banner_appears_when_the_device_s_reading_crosses_the_limit(make_sensor, user, password):
    from datetime import datetime, timezone

    sensor, token = make_sensor(owner=user, id="panel-alarm-ui", name="Main panel", device_type="energy_meter")
    rule_make(owner=user, sensor=sensor, name="Panel overload", condition="above", field="power", threshold=1000)
    # On the services the readings are written (and evaluated) by a Celery worker.
    with writer(), daphne_server() as server, chromium_page() as page:
        sign_in(page, server.url, user.username, password, next_path="/sensors/panel-alarm-ui/")
        banner = page.locator("#alarm-banner")
        expect(banner).to_be_hidden()
        expect(banner).to_have_attribute("data-live", "open")
        with simulated_device(server.ws_url, "panel-alarm-ui", token) as device:
            now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            device.send({"type": "telemetry", "seq": 1, "readings": [
                {"sensor_id": "panel-alarm-ui", "timestamp": now, "metrics": {"power": 1450.0}}]})
            device.receive_until("ack")
            expect(banner).to_be_visible()
            expect(banner.get_by_text("Panel overload: panel-alarm-ui power 1450 above 1000")).to_be_visible()
            expect(page.locator("#alarm-count")).to_have_text("1")
            screenshot(page, "alarms-sensor-banner-live.png")
            banner.get_by_role("button", name="Acknowledge").click()
            expect(banner.locator(".alarm-state")).to_have_text("Acknowledged")
    assert Alarm.objects.get().state == AlarmState.ACKNOWLEDGED
