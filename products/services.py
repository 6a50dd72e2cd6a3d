from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from products.models import (
    LOCATION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Product,
    ProductEvent,
    ProductEventSource,
    ProductEventType,
    ProductStatus,
)
from products.names import product_name_clean, product_name_normalise
from products.parser import EVENT_TYPES_NEEDING_LOCATION
from users.models import User


@dataclass(frozen=True)
class ProductEventRecorded:
    product: Product
    # The event that was asked for; `events` also holds the "added" that a new product gets.
    event: ProductEvent
    events: tuple[ProductEvent, ...]
    created: bool
    message: str


@dataclass(frozen=True)
class ProductEventPreview:
    product: Product | None
    creates: bool
    message: str


def product_event_record(*, name: str, location: str | None, event_type: str, source: str,
                         user: User | None, note: str = "") -> ProductEventRecorded:
    """Record what happened to a product, creating it (with an "added" event) if it is new.

    A product that was removed comes back the same way: an "added" event first, then the
    requested one. One transaction; two requests racing to create the same new name end
    with one product, because the unique normalised name lets only one insert win and the
    loser then records its event on the winner's product.
    """
    name, location, note = _event_input_clean(name=name, location=location, event_type=event_type,
                                               source=source, note=note)
    with transaction.atomic():
        product = (Product.objects.select_for_update()
                   .filter(name_normalised=product_name_normalise(name)).first())
        plan = _event_types_plan(product=product, name=name, location=location,
                                 event_type=event_type)
        created = False
        if product is None:
            product, created = _product_create_or_get(name=name, location=location)
            if not created:
                plan = _event_types_plan(product=product, name=name, location=location,
                                         event_type=event_type)
        again = product.status == ProductStatus.REMOVED
        events = tuple(
            _event_apply(product=product, event_type=planned, location=location, source=source,
                         user=user, note=note if index == len(plan) - 1 else "")
            for index, planned in enumerate(plan))
        product.save(update_fields=["location", "status", "updated_at"])
    return ProductEventRecorded(
        product=product, event=events[-1], events=events, created=created,
        message=_message(name=product.name, location=location, plan=plan, created=created,
                         again=again, done=True))


def product_event_preview(*, name: str, location: str | None, event_type: str,
                          source: str = ProductEventSource.API, note: str = "") -> ProductEventPreview:
    """What product_event_record would do with the same input, without writing anything."""
    name, location, note = _event_input_clean(name=name, location=location, event_type=event_type,
                                               source=source, note=note)
    product = Product.objects.filter(name_normalised=product_name_normalise(name)).first()
    plan = _event_types_plan(product=product, name=name, location=location,
                             event_type=event_type)
    again = product is not None and product.status == ProductStatus.REMOVED
    return ProductEventPreview(
        product=product, creates=product is None,
        message=_message(name=product.name if product else name, location=location, plan=plan,
                         created=product is None, again=again, done=False))


def _event_input_clean(*, name: str, location: str | None, event_type: str, source: str,
                       note: str) -> tuple[str, str, str]:
    name = product_name_clean(name or "")
    location = product_name_clean(location or "")
    note = (note or "").strip()
    _event_input_validate(name=name, location=location, event_type=event_type, source=source,
                          note=note)
    return name, location, note


def _event_input_validate(*, name: str, location: str, event_type: str, source: str,
                          note: str) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Say which product, for example “drill”."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"At most {NAME_MAX_LENGTH} characters (this one has {len(name)})."]
    if event_type not in ProductEventType.values:
        errors["event_type"] = [f"Must be one of: {', '.join(ProductEventType.values)}."]
    elif event_type in EVENT_TYPES_NEEDING_LOCATION and not location:
        errors["location"] = ["Say where the product is now, for example “shelf B”."]
    if len(location) > LOCATION_MAX_LENGTH:
        errors["location"] = [
            f"At most {LOCATION_MAX_LENGTH} characters (this one has {len(location)})."]
    if source not in ProductEventSource.values:
        errors["source"] = [f"Must be one of: {', '.join(ProductEventSource.values)}."]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [f"At most {NOTE_MAX_LENGTH} characters (this one has {len(note)})."]
    if errors:
        raise ValidationError(errors)


def _event_types_plan(*, product: Product | None, name: str, location: str,
                      event_type: str) -> list[str]:
    """The events to record, in order: a new or removed product is "added" first."""
    if product is not None and product.status != ProductStatus.REMOVED:
        return [event_type]
    if event_type == ProductEventType.REMOVED:
        why = "it was already removed" if product else "there is no product by that name"
        raise ValidationError({"name": [f"Nothing to remove: {why} (“{name}”)."]})
    if not location:
        raise ValidationError({"location": [
            f"“{name}” is not in the inventory, so it will be added: say where it is."]})
    if event_type == ProductEventType.ADDED:
        return [ProductEventType.ADDED]
    return [ProductEventType.ADDED, event_type]


def _product_create_or_get(*, name: str, location: str) -> tuple[Product, bool]:
    try:
        with transaction.atomic():
            return Product.objects.create(name=name, location=location), True
    except IntegrityError:
        # Someone else created it between our look and our insert; theirs is committed.
        key = product_name_normalise(name)
        return Product.objects.select_for_update().get(name_normalised=key), False


def _event_apply(*, product: Product, event_type: str, location: str, source: str,
                 user: User | None, note: str) -> ProductEvent:
    if location:
        product.location = location
    if event_type == ProductEventType.CHECKED_OUT:
        product.status = ProductStatus.CHECKED_OUT
    elif event_type == ProductEventType.REMOVED:
        product.status = ProductStatus.REMOVED
    elif event_type in (ProductEventType.ADDED, ProductEventType.CHECKED_IN):
        product.status = ProductStatus.PRESENT
    return ProductEvent.objects.create(product=product, event_type=event_type,
                                       location=location, note=note, source=source,
                                       created_by=user)


# (what will be done, what was done, where); {subject} is the product, then "it".
_PHRASES = {
    ProductEventType.ADDED: ("add {subject}", "added {subject}", " at {location}"),
    ProductEventType.MOVED: ("move {subject}", "moved {subject}", " to {location}"),
    ProductEventType.CHECKED_OUT: (
        "check {subject} out", "checked {subject} out", " to {location}"),
    ProductEventType.CHECKED_IN: ("check {subject} in", "checked {subject} in", " at {location}"),
    ProductEventType.REMOVED: ("remove {subject}", "removed {subject}", " from {location}"),
}


def _message(*, name: str, location: str, plan: list[str], created: bool, again: bool,
             done: bool) -> str:
    """"Added “projector” at AV cupboard and checked it out." — said back to the person;
    before recording (done=False) the same in the imperative, for confirmation."""
    if not created and not again and plan == [ProductEventType.ADDED]:
        if done:
            return f"“{name}” was already in the inventory: recorded it at {location}."
        return f"“{name}” is already in the inventory: record it as added at {location}."
    parts = []
    for index, event_type in enumerate(plan):
        will, did, where = _PHRASES[event_type]
        text = (did if done else will).format(subject=f"“{name}”" if index == 0 else "it")
        if index == 0 and again:
            text += " again"
        if location and index == 0:
            text += where.format(location=location)
        parts.append(text)
    message = " and ".join(parts)
    return message[0].upper() + message[1:] + "."
