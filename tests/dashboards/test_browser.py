"""The dashboards in headless Chromium against a real Daphne (HTTP and WebSockets)."""

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, chromium_page, screenshot, sign_in
from tests.servers import daphne_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alices_fleet(make_sensor, user):
    make_sensor(owner=user, id="imu-forklift", name="Forklift motion")
    make_sensor(owner=user, id="meter-main", name="Main panel", device_type="energy_meter")


@pytest.fixture
def server():
    with daphne_server() as daphne:
        yield daphne


def test_every_page_is_reachable_from_the_navigation(server, alices_fleet, user, password):
    with chromium_page() as page:
        sign_in(page, server.url, user.username, password)
        expect(page.get_by_role("heading", name="Fleet overview")).to_be_visible()
        expect(page.get_by_role("row")).to_have_count(3)
        screenshot(page, "dashboards-overview.png")

        page.get_by_role("link", name="Forklift motion").click()
        expect(page.get_by_role("heading", name="Forklift motion", level=1)).to_be_visible()
        screenshot(page, "dashboards-sensor.png")

        navigation = page.get_by_role("navigation", name="Main")
        navigation.get_by_role("link", name="Energy").click()
        expect(page.get_by_role("heading", name="Energy", level=1)).to_be_visible()
        screenshot(page, "dashboards-energy.png")

        navigation.get_by_role("link", name="Wellness").click()
        expect(page.get_by_role("heading", name="Wellness", level=1)).to_be_visible()
        screenshot(page, "dashboards-wellness.png")

        navigation.get_by_role("link", name="Products").click()
        expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Signed out")).to_be_visible()
        screenshot(page, "dashboards-signed-out.png")


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
