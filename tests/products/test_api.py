"""The products API as a mobile app or the browser page uses it."""

import pytest

from products.models import Product, ProductEvent
from products.services import product_event_record

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/products/events"
COMMANDS = "/api/v1/products/commands"
PRODUCTS = "/api/v1/products"


@pytest.fixture
def stock(user):
    """Three products, the drill moved once."""
    for name, location in [("Cordless Drill", "garage"), ("Ladder", "loading dock"),
                           ("Projector", "AV cupboard")]:
        product_event_record(name=name, location=location, event_type="added", source="api",
                             user=user)
    product_event_record(name="cordless drill", location="shelf B", event_type="moved",
                         source="voice", user=user)
    return {product.name: product for product in Product.objects.all()}


def test_posting_an_event_for_a_new_name_creates_the_product(alice_client):
    response = alice_client.post(EVENTS, {"name": "Cordless  Drill", "location": "garage shelf B",
                                          "event_type": "added", "note": "new"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert body["message"] == "Added “Cordless Drill” at garage shelf B."
    assert body["product"]["name"] == "Cordless Drill"
    assert body["product"]["location"] == "garage shelf B"
    assert body["event"]["event_type"] == "added"
    assert body["event"]["source"] == "api"
    assert body["event"]["created_by"] == "alice"
    assert body["event"]["note"] == "new"


def test_posting_an_event_for_an_existing_product_moves_it(alice_client, stock):
    response = alice_client.post(EVENTS, {"name": "LADDER", "location": "van",
                                          "event_type": "moved"}, format="json")

    assert response.status_code == 201
    assert response.json()["created"] is False
    assert response.json()["product"]["id"] == stock["Ladder"].pk
    assert Product.objects.get(pk=stock["Ladder"].pk).location == "van"


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"location": "van", "event_type": "moved"}, "name", "This field is required."),
    ({"name": "", "location": "van", "event_type": "moved"}, "name",
     "This field may not be blank."),
    ({"name": "x" * 201, "location": "van", "event_type": "moved"}, "name",
     "At most 200 characters (this one has 201)."),
    ({"name": "drill", "event_type": "moved"}, "location",
     "Say where the product is now, for example “shelf B”."),
    ({"name": "drill", "location": "van", "event_type": "sold"}, "event_type",
     "“sold” is not an event type: use one of added, moved, checked_out, checked_in, removed."),
    ({"name": "drill", "location": "van"}, "event_type", "This field is required."),
    ({"name": ["drill"], "location": "van", "event_type": "moved"}, "name",
     "Not a valid string."),
    ({"name": "drill", "location": "van", "event_type": "moved", "note": "n" * 1001}, "note",
     "At most 1000 characters (this one has 1001)."),
])
def test_invalid_events_are_400_naming_the_field(alice_client, body, field, message):
    response = alice_client.post(EVENTS, body, format="json")

    assert response.status_code == 400
    assert response.json()["details"][field] == [message]
    assert response.json()["error"].startswith(f"{field}: ")
    assert ProductEvent.objects.count() == 0


def test_a_body_that_is_not_json_is_400(alice_client):
    response = alice_client.post(EVENTS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"].startswith("JSON parse error")


def test_products_api_needs_a_signed_in_user(api_client):
    assert api_client.get(PRODUCTS).status_code == 401
    response = api_client.post(EVENTS, {"name": "drill", "location": "van",
                                        "event_type": "moved"}, format="json")
    assert response.status_code == 401
    assert ProductEvent.objects.count() == 0


def test_a_sentence_is_parsed_and_recorded(alice_client, stock):
    response = alice_client.post(COMMANDS, {"text": "Okay, move the drill to shelf C please",
                                            "source": "voice"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["parsed"] == {"name": "drill", "location": "shelf C", "event_type": "moved"}
    assert body["recorded"] is True
    assert body["message"] == "Added “drill” at shelf C and moved it."
    assert body["event"]["source"] == "voice"


def test_a_sentence_naming_an_existing_product_moves_it(alice_client, stock):
    response = alice_client.post(COMMANDS, {"text": "put the ladder in the van"}, format="json")

    assert response.status_code == 201
    assert response.json()["created"] is False
    assert response.json()["message"] == "Moved “Ladder” to van."
    assert response.json()["event"]["source"] == "text"
    assert Product.objects.get(pk=stock["Ladder"].pk).location == "van"


def test_dry_run_returns_the_parse_and_records_nothing(alice_client, stock):
    before = ProductEvent.objects.count()

    response = alice_client.post(COMMANDS, {"text": "check out the projector", "dry_run": True},
                                 format="json")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "parsed": {"name": "projector", "location": None, "event_type": "checked_out"},
        "recorded": False,
        "message": "Check “Projector” out.",
        "created": False,
        "event": None,
        "product": body["product"],
        "similar": [],
    }
    assert body["product"]["id"] == stock["Projector"].pk
    assert ProductEvent.objects.count() == before


def test_dry_run_for_a_new_name_suggests_existing_products_it_may_mean(alice_client, stock):
    response = alice_client.post(COMMANDS, {"text": "move the drill to the van", "dry_run": True},
                                 format="json")

    assert response.json()["created"] is True
    assert [product["name"] for product in response.json()["similar"]] == ["Cordless Drill"]


def test_dry_run_for_a_new_product_says_it_will_be_added(alice_client):
    response = alice_client.post(COMMANDS, {"text": "new product ladder at loading dock",
                                            "dry_run": True}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] is True
    assert response.json()["product"] is None
    assert response.json()["message"] == "Add “ladder” at loading dock."
    assert Product.objects.count() == 0


@pytest.mark.parametrize(("text", "missing"), [
    ("move the drill", ["location"]),
    ("move to shelf B", ["name"]),
    ("hello", ["event_type"]),
    ("   ", ["text"]),
])
def test_a_sentence_not_understood_is_422_saying_what_is_missing(alice_client, text, missing):
    response = alice_client.post(COMMANDS, {"text": text}, format="json")

    if missing == ["text"]:
        assert response.status_code == 400
        assert response.json()["details"] == {"text": ["This field may not be blank."]}
        return
    assert response.status_code == 422
    body = response.json()
    assert list(body["details"]) == missing
    assert "for example “move the drill to shelf B”" in body["error"]
    assert ProductEvent.objects.count() == 0


def test_missing_location_422_names_the_product_and_an_example(alice_client):
    response = alice_client.post(COMMANDS, {"text": "move the drill"}, format="json")

    assert response.json() == {
        "error": "Missing the location: where is the drill now? Say the place too, "
                 "for example “move the drill to shelf B”.",
        "details": {"location": ["Say where it is now, for example “to shelf B”."]},
    }


def test_a_parsed_sentence_the_rules_refuse_is_400(alice_client):
    response = alice_client.post(COMMANDS, {"text": "check out the projector"}, format="json")

    assert response.status_code == 400
    assert response.json()["details"]["location"] == [
        "“projector” is not in the inventory, so it will be added: say where it is."]


def test_an_overlong_sentence_is_400(alice_client):
    response = alice_client.post(COMMANDS, {"text": "a" * 501}, format="json")

    assert response.status_code == 400
    assert "text" in response.json()["details"]


def test_list_searches_names_ignoring_case_and_spacing(alice_client, stock):
    response = alice_client.get(PRODUCTS, {"search": "CORDLESS   dr"})

    assert response.status_code == 200
    assert [product["name"] for product in response.json()["results"]] == ["Cordless Drill"]


def test_list_filters_by_location_and_status(alice_client, stock):
    at_dock = alice_client.get(PRODUCTS, {"location": "Loading Dock"}).json()
    assert [product["name"] for product in at_dock["results"]] == ["Ladder"]

    product_event_record(name="projector", location=None, event_type="checked_out",
                         source="api", user=None)
    out = alice_client.get(PRODUCTS, {"status": "checked_out"}).json()
    assert [product["name"] for product in out["results"]] == ["Projector"]

    bad = alice_client.get(PRODUCTS, {"status": "lost"})
    assert bad.status_code == 400
    assert "status" in bad.json()["details"]


def test_list_is_paginated_in_name_order(alice_client, user):
    for number in range(7):
        product_event_record(name=f"Box {number}", location="bay 1", event_type="added",
                             source="api", user=user)

    first = alice_client.get(PRODUCTS, {"page_size": 5}).json()
    second = alice_client.get(PRODUCTS, {"page_size": 5, "page": 2}).json()

    assert first["count"] == 7
    assert [product["name"] for product in first["results"]] == [f"Box {n}" for n in range(5)]
    assert [product["name"] for product in second["results"]] == ["Box 5", "Box 6"]
    assert second["next"] is None


def test_detail_has_the_event_history_newest_first(alice_client, stock):
    response = alice_client.get(f"{PRODUCTS}/{stock['Cordless Drill'].pk}")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["location"], body["status"]) == (
        "Cordless Drill", "shelf B", "present")
    assert [(event["event_type"], event["location"], event["source"])
            for event in body["events"]] == [("moved", "shelf B", "voice"),
                                             ("added", "garage", "api")]


def test_detail_of_an_unknown_product_is_404_json(alice_client):
    response = alice_client.get(f"{PRODUCTS}/999999")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found.", "details": {}}


def test_the_schema_documents_the_products_endpoints(staff_user, client_for):
    response = client_for(staff_user).get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/products", "/api/v1/products/events", "/api/v1/products/commands",
            "/api/v1/products/{product_id}"} <= set(paths)
    assert "422" in paths["/api/v1/products/commands"]["post"]["responses"]
    parameters = {p["name"] for p in paths["/api/v1/products"]["get"]["parameters"]}
    assert {"search", "location", "status", "page", "page_size"} <= parameters
