"""product_event_record: the one place product events are written."""

import pytest
from django.core.exceptions import ValidationError

from products.models import Product, ProductEvent, ProductStatus
from products.services import product_event_preview, product_event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(user):
    def record(name, location, event_type, **extra):
        extra.setdefault("source", "api")
        extra.setdefault("user", user)
        return product_event_record(name=name, location=location, event_type=event_type, **extra)

    return record


def _history(product):
    return [(event.event_type, event.location) for event in product.events.order_by("id")]


def test_a_new_name_creates_the_product_with_an_added_event(record, user):
    recorded = record("Cordless Drill", "garage shelf B", "added", note="from supplier")

    product = Product.objects.get()
    assert recorded.created is True
    assert (product.name, product.location, product.status) == (
        "Cordless Drill", "garage shelf B", ProductStatus.PRESENT)
    assert _history(product) == [("added", "garage shelf B")]
    event = product.events.get()
    assert (event.note, event.source, event.created_by) == ("from supplier", "api", user)
    assert recorded.message == "Added “Cordless Drill” at garage shelf B."


def test_an_existing_product_gets_the_event_and_moves(record):
    record("drill", "garage", "added")
    recorded = record("drill", "shelf B", "moved")

    product = Product.objects.get()
    assert recorded.created is False
    assert product.location == "shelf B"
    assert _history(product) == [("added", "garage"), ("moved", "shelf B")]
    assert recorded.event == product.events.order_by("id").last()
    assert recorded.message == "Moved “drill” to shelf B."


@pytest.mark.parametrize("spelling", ["cordless drill", "CORDLESS DRILL", "  Cordless   Drill ",
                                      "cordless\tdrill"])
def test_names_differing_in_case_and_spacing_are_the_same_product(record, spelling):
    record("Cordless  Drill", "garage", "added")
    record(spelling, "shelf B", "moved")

    product = Product.objects.get()
    assert product.name == "Cordless Drill"
    assert _history(product) == [("added", "garage"), ("moved", "shelf B")]


def test_a_different_name_is_a_different_product(record):
    record("drill", "garage", "added")
    record("drill bits", "garage", "added")

    assert sorted(Product.objects.values_list("name", flat=True)) == ["drill", "drill bits"]


def test_a_new_name_with_another_event_type_is_added_first_then_the_event_follows(record):
    recorded = record("projector", "AV cupboard", "checked_out")

    product = Product.objects.get()
    assert recorded.created is True
    assert _history(product) == [("added", "AV cupboard"), ("checked_out", "AV cupboard")]
    assert product.status == ProductStatus.CHECKED_OUT
    assert recorded.event.event_type == "checked_out"
    assert [event.event_type for event in recorded.events] == ["added", "checked_out"]
    assert recorded.message == "Added “projector” at AV cupboard and checked it out."


def test_the_note_goes_on_the_requested_event_not_the_automatic_added(record):
    record("projector", "AV cupboard", "checked_out", note="for the board meeting")

    notes = list(ProductEvent.objects.order_by("id").values_list("event_type", "note"))
    assert notes == [("added", ""), ("checked_out", "for the board meeting")]


def test_removed_then_added_again_keeps_one_product_and_one_history(record):
    record("chair", "room 5", "added")
    removed = record("chair", "", "removed")
    assert removed.product.status == ProductStatus.REMOVED

    again = record("Chair", "store room", "added")

    product = Product.objects.get()
    assert again.created is False
    assert product.status == ProductStatus.PRESENT
    assert product.location == "store room"
    assert _history(product) == [("added", "room 5"), ("removed", ""), ("added", "store room")]
    assert again.message == "Added “chair” again at store room."


def test_moving_a_removed_product_adds_it_again_first(record):
    record("chair", "room 5", "added")
    record("chair", None, "removed")

    record("chair", "room 7", "moved")

    product = Product.objects.get()
    assert product.status == ProductStatus.PRESENT
    assert _history(product)[-2:] == [("added", "room 7"), ("moved", "room 7")]


def test_check_out_and_in_change_status_and_keep_location_unless_given(record):
    record("projector", "AV cupboard", "added")

    record("projector", None, "checked_out")
    product = Product.objects.get()
    assert (product.status, product.location) == (ProductStatus.CHECKED_OUT, "AV cupboard")

    record("projector", "room 12", "checked_in")
    product.refresh_from_db()
    assert (product.status, product.location) == (ProductStatus.PRESENT, "room 12")


def test_adding_an_existing_product_records_it_and_says_it_was_there(record):
    record("ladder", "loading dock", "added")
    recorded = record("LADDER", "van", "added")

    assert recorded.created is False
    assert Product.objects.get().location == "van"
    assert recorded.message == "“ladder” was already in the inventory: recorded it at van."


@pytest.mark.parametrize(("name", "location", "event_type", "field", "message"), [
    ("", "shelf B", "moved", "name", "Say which product"),
    ("   ", "shelf B", "moved", "name", "Say which product"),
    ("x" * 201, "shelf B", "added", "name", "At most 200 characters (this one has 201)."),
    ("drill", "", "moved", "location", "Say where the product is now"),
    ("drill", None, "added", "location", "Say where the product is now"),
    ("drill", "y" * 201, "moved", "location", "At most 200 characters"),
    ("drill", "shelf B", "sold", "event_type", "Must be one of: added, moved, checked_out"),
])
def test_invalid_input_names_the_field_and_writes_nothing(record, name, location, event_type,
                                                          field, message):
    with pytest.raises(ValidationError) as raised:
        record(name, location, event_type)

    assert message in raised.value.message_dict[field][0]
    assert Product.objects.count() == 0 and ProductEvent.objects.count() == 0


def test_note_and_source_are_validated(record):
    with pytest.raises(ValidationError) as raised:
        record("drill", "shelf B", "added", note="n" * 1001, source="fax")

    assert set(raised.value.message_dict) == {"note", "source"}


def test_a_new_product_needs_a_location_even_for_check_out(record):
    with pytest.raises(ValidationError) as raised:
        record("projector", None, "checked_out")

    assert raised.value.message_dict["location"] == [
        "“projector” is not in the inventory, so it will be added: say where it is."]
    assert Product.objects.count() == 0


def test_removing_an_unknown_or_removed_product_is_refused(record):
    with pytest.raises(ValidationError, match="there is no product by that name"):
        record("unicorn", None, "removed")

    record("chair", "room 5", "added")
    record("chair", None, "removed")
    with pytest.raises(ValidationError, match="it was already removed"):
        record("chair", None, "removed")
    assert ProductEvent.objects.count() == 2


def test_preview_says_what_recording_would_do_and_writes_nothing(record):
    preview = product_event_preview(name="projector", location="AV cupboard",
                                    event_type="checked_out")
    assert (preview.product, preview.creates) == (None, True)
    assert preview.message == "Add “projector” at AV cupboard and check it out."
    assert Product.objects.count() == 0

    record("projector", "AV cupboard", "added")
    preview = product_event_preview(name="Projector", location=None, event_type="checked_out")
    assert (preview.product.name, preview.creates) == ("projector", False)
    assert preview.message == "Check “projector” out."
    assert ProductEvent.objects.count() == 1


def test_preview_refuses_what_recording_would_refuse():
    with pytest.raises(ValidationError) as raised:
        product_event_preview(name="projector", location=None, event_type="checked_out")

    assert "location" in raised.value.message_dict
