from django.conf import settings
from django.db import models
from django.utils import timezone

from products import parser
from products.names import product_name_clean, product_name_normalise

NAME_MAX_LENGTH = 200
LOCATION_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 1000


class ProductStatus(models.TextChoices):
    PRESENT = "present", "In place"
    CHECKED_OUT = "checked_out", "Checked out"
    REMOVED = "removed", "Removed"


class Product(models.Model):
    """Something in the inventory. Its location and status change only through events."""

    name = models.CharField(max_length=NAME_MAX_LENGTH)
    # casefold() may lengthen a name ("ß" -> "ss"), hence the room.
    name_normalised = models.CharField(max_length=NAME_MAX_LENGTH * 3, editable=False)
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=20, choices=ProductStatus, default=ProductStatus.PRESENT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name_normalised"]
        constraints = [
            models.UniqueConstraint(
                fields=["name_normalised"],
                name="product_name_normalised_unique",
                violation_error_message="A product with this name already exists.",
            ),
        ]
        indexes = [models.Index(fields=["location"], name="product_location_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = product_name_clean(self.name)
        self.name_normalised = product_name_normalise(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_normalised"}
        super().save(*args, **kwargs)


class ProductEventType(models.TextChoices):
    ADDED = parser.ADDED, "Added"
    MOVED = parser.MOVED, "Moved"
    CHECKED_OUT = parser.CHECKED_OUT, "Checked out"
    CHECKED_IN = parser.CHECKED_IN, "Checked in"
    REMOVED = parser.REMOVED, "Removed"


class ProductEventSource(models.TextChoices):
    FORM = "form", "Form"
    TEXT = "text", "Typed sentence"
    VOICE = "voice", "Voice"
    API = "api", "API"


class ProductEvent(models.Model):
    """One line of a product's history; never edited once written."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=20, choices=ProductEventType)
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    source = models.CharField(max_length=10, choices=ProductEventSource)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="product_events")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="product_event_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.get_event_type_display().lower()}"
