"""The new-event page in headless Chromium: type a sentence, confirm it, see the timeline.

Screenshots go to var/test-artifacts/ for a person to look at. The database is touched only
before and after the browser runs: inside Playwright's sync API an event loop is running,
where Django refuses ORM calls.
"""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from products.models import Product, ProductEvent
from products.services import product_event_record
from tests.browser import chromium_page, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def signed_in_page(live_server, username: str, password: str, *, init_script: str = ""):
    with chromium_page(viewport={"width": 1000, "height": 1000}, init_script=init_script) as page:
        sign_in(page, live_server.url, username, password, next_path="/products/new-event/")
        expect(page.get_by_role("heading", name="Record a product event")).to_be_visible()
        yield page


@pytest.fixture
def drill_in_garage(user):
    product_event_record(name="Cordless Drill", location="garage", event_type="added",
                         source="form", user=user)


def _sentence_check(page, text: str):
    """Type a sentence, ask the server what it means, return the confirmation panel."""
    page.get_by_label("Sentence").fill(text)
    page.get_by_role("button", name="Check sentence").click()
    return page.locator("#parse-result")


def test_a_typed_sentence_is_confirmed_then_shows_in_the_timeline(live_server, user, password,
                                                                   drill_in_garage):
    with signed_in_page(live_server, user.username, password) as page:
        confirmation = _sentence_check(page, "Okay, move the cordless drill to shelf B please")
        expect(confirmation).to_contain_text("Move “Cordless Drill” to shelf B.")
        expect(confirmation.locator("dd")).to_have_text(["Cordless Drill", "Moved", "shelf B"])
        screenshot(page, "products-new-event-confirm.png")
        page.get_by_role("button", name="Confirm and record").click()

        expect(page.get_by_role("heading", name="Cordless Drill", level=1)).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("Moved “Cordless Drill” to shelf B.")
        timeline = page.get_by_role("list", name="Timeline").get_by_role("listitem")
        expect(timeline).to_have_count(2)
        expect(timeline.first).to_contain_text("Moved to shelf B")
        expect(timeline.first).to_contain_text("Typed sentence · by alice")
        expect(timeline.last).to_contain_text("Added at garage")
        screenshot(page, "products-timeline.png")

        page.get_by_role("link", name="All products").click()
        expect(page.get_by_role("row").nth(1)).to_contain_text("Cordless Drill shelf B In place")
        screenshot(page, "products-list.png")

    event = ProductEvent.objects.order_by("id").last()
    assert (event.event_type, event.location, event.source, event.created_by) == (
        "moved", "shelf B", "text", user)
    assert Product.objects.get().location == "shelf B"


def test_a_sentence_not_understood_shows_why_and_records_nothing(live_server, user, password):
    with signed_in_page(live_server, user.username, password) as page:
        page.get_by_label("Sentence").fill("move the ladder")
        page.get_by_label("Sentence").press("Enter")

        expect(page.get_by_role("alert")).to_have_text(
            "Missing the location: where is the ladder now? Say the place too, "
            "for example “move the ladder to shelf B”.")
        expect(page.get_by_role("button", name="Confirm and record")).to_have_count(0)
        screenshot(page, "products-new-event-not-understood.png")

    assert ProductEvent.objects.count() == 0


def test_a_new_name_offers_the_existing_product_it_may_mean(live_server, user, password,
                                                            drill_in_garage):
    with signed_in_page(live_server, user.username, password) as page:
        confirmation = _sentence_check(page, "put the drill in the van")
        expect(confirmation).to_contain_text("drill (new product)")

        page.get_by_role("button", name="Cordless Drill").click()
        expect(page.get_by_label("Name")).to_have_value("Cordless Drill")
        expect(page.get_by_label("Location")).to_have_value("van")
        page.get_by_role("button", name="Record", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("Moved “Cordless Drill” to van.")

    assert Product.objects.count() == 1
    assert ProductEvent.objects.order_by("id").last().source == "text"


def test_the_microphone_is_offered_only_where_speech_recognition_exists(live_server, user,
                                                                       password):
    with signed_in_page(live_server, user.username, password) as page:
        expect(page.get_by_role("button", name="Speak")).to_be_visible()
        expect(page.locator("#mic-note")).to_be_hidden()

    without_speech = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"
    with signed_in_page(live_server, user.username, password, init_script=without_speech) as page:
        expect(page.get_by_role("button", name="Speak")).to_be_hidden()
        expect(page.locator("#mic-note")).to_contain_text(
            "Voice input needs a browser with speech recognition")
