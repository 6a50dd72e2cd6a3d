"""The browser pages and the admin, through Django's test client."""

import pytest
from django.contrib.messages import get_messages

from products.models import Product, ProductEvent
from products.services import product_event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def drill(user):
    product_event_record(name="Cordless Drill", location="garage", event_type="added",
                         source="form", user=user)
    return product_event_record(name="cordless drill", location="shelf B", event_type="moved",
                                source="voice", user=user, note="top shelf").product


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("path", ["/products/", "/products/new-event/", "/products/1/"])
def test_pages_need_a_signed_in_user(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_list_shows_products_and_searches(browser, drill, user):
    product_event_record(name="Ladder", location="van", event_type="added", source="api",
                         user=user)

    everything = browser.get("/products/").content.decode()
    assert "Cordless Drill" in everything and "Ladder" in everything
    assert 'href="/products/new-event/"' in everything

    found = browser.get("/products/", {"q": "DRILL"}).content.decode()
    assert "Cordless Drill" in found and "Ladder" not in found

    at_van = browser.get("/products/", {"location": "van"}).content.decode()
    assert "Ladder" in at_van and "Cordless Drill" not in at_van

    nothing = browser.get("/products/", {"q": "unicorn"}).content.decode()
    assert "No product matches." in nothing


def test_detail_shows_the_timeline_newest_first(browser, drill):
    page = browser.get(f"/products/{drill.pk}/").content.decode()

    assert "<h1>Cordless Drill</h1>" in page
    moved, added = page.index("to shelf B"), page.index("at garage")
    assert moved < added
    assert "top shelf" in page and "Voice" in page and "by alice" in page


def test_detail_of_an_unknown_product_is_404(browser):
    assert browser.get("/products/424242/").status_code == 404


def test_new_event_page_has_the_form_sentence_box_and_suggestions(browser, drill):
    page = browser.get("/products/new-event/", {"name": "Cordless Drill"}).content.decode()

    assert 'id="sentence"' in page and 'id="mic"' in page and 'id="mic-note"' in page
    assert 'data-commands-url="/api/v1/products/commands"' in page
    assert '<option value="Cordless Drill">' in page
    assert '<option value="shelf B">' in page
    assert 'value="Cordless Drill"' in page.split('id="event-form"')[1]


def test_submitting_the_form_records_and_shows_success(browser, drill, user):
    response = browser.post("/products/new-event/", {
        "name": "cordless drill", "location": "van", "event_type": "moved", "note": "",
        "source": "text"})

    assert response.status_code == 302
    assert response["Location"] == f"/products/{drill.pk}/"
    assert _messages(response) == ["Moved “Cordless Drill” to van."]
    event = ProductEvent.objects.order_by("id").last()
    assert (event.event_type, event.location, event.source, event.created_by) == (
        "moved", "van", "text", user)


def test_a_refused_form_shows_the_failure_and_records_nothing(browser):
    response = browser.post("/products/new-event/", {
        "name": "drill", "location": "", "event_type": "moved", "source": "form"})

    assert response.status_code == 200
    assert _messages(response) == [
        "Nothing was recorded: Location: Say where the product is now, for example “shelf B”."]
    assert "Say where the product is now" in response.content.decode()
    assert ProductEvent.objects.count() == 0


def test_the_form_refuses_a_source_it_does_not_offer(browser):
    response = browser.post("/products/new-event/", {
        "name": "drill", "location": "van", "event_type": "added", "source": "api"})

    assert response.status_code == 200
    assert Product.objects.count() == 0


def test_admin_lists_products_and_shows_events_read_only(client, staff_user, drill):
    client.force_login(staff_user)
    event = drill.events.first()

    assert client.get("/admin/products/product/").status_code == 200
    product_page = client.get(f"/admin/products/product/{drill.pk}/change/").content.decode()
    assert "shelf B" in product_page and "top shelf" in product_page
    assert client.get("/admin/products/productevent/add/").status_code == 403
    client.post(f"/admin/products/productevent/{event.pk}/change/", {"location": "moon"})
    client.post(f"/admin/products/productevent/{event.pk}/delete/", {"post": "yes"})
    event.refresh_from_db()
    assert event.location == "shelf B"


def test_adding_a_product_in_the_admin_records_an_added_event(client, staff_user, drill):
    client.force_login(staff_user)

    response = client.post("/admin/products/product/add/", {
        "name": "Label Printer", "location": "reception",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})

    assert response.status_code == 302
    printer = Product.objects.get(name="Label Printer")
    assert list(printer.events.values_list("event_type", "location", "created_by")) == [
        ("added", "reception", staff_user.pk)]

    duplicate = client.post("/admin/products/product/add/", {
        "name": "cordless  DRILL", "location": "reception",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"})
    assert "A product with this name already exists." in duplicate.content.decode()
    assert Product.objects.count() == 2
