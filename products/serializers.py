from rest_framework import serializers

from products.models import (
    Product,
    ProductEvent,
    ProductEventSource,
    ProductEventType,
    ProductStatus,
)
from products.parser import COMMAND_MAX_LENGTH

# How a sentence reaches the commands endpoint.
COMMAND_SOURCES = [ProductEventSource.TEXT, ProductEventSource.VOICE]


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "location", "status", "created_at", "updated_at"]


class ProductEventSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None,
                                       read_only=True, allow_null=True)

    class Meta:
        model = ProductEvent
        fields = ["id", "event_type", "location", "note", "source", "created_by", "created_at"]


class ProductDetailSerializer(ProductSerializer):
    events = ProductEventSerializer(many=True, read_only=True,
                                    help_text="The product's history, newest first.")

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "events"]


class ProductListQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, default="", allow_blank=True,
                                   help_text="Part of the name; case and spacing are ignored.")
    location = serializers.CharField(required=False, default="", allow_blank=True,
                                     help_text="Only products at this location (case ignored).")
    status = serializers.ChoiceField(choices=ProductStatus.choices, required=False, default="")


class ProductEventInputSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Product name; “Cordless  Drill” and "
                                           "“cordless drill” are the same product.")
    location = serializers.CharField(required=False, default="", allow_blank=True,
                                     help_text="Required for added and moved.")
    event_type = serializers.ChoiceField(
        choices=ProductEventType.choices,
        error_messages={"invalid_choice": "“{input}” is not an event type: use one of "
                                          + ", ".join(ProductEventType.values) + "."})
    note = serializers.CharField(required=False, default="", allow_blank=True)
    source = serializers.ChoiceField(choices=ProductEventSource.choices,
                                     default=ProductEventSource.API)


class ProductEventRecordedSerializer(serializers.Serializer):
    product = ProductSerializer()
    event = ProductEventSerializer()
    created = serializers.BooleanField(help_text="True when this request created the product.")
    message = serializers.CharField(help_text="What was recorded, in words, to show the person.")


class ProductCommandInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=COMMAND_MAX_LENGTH,
                                 help_text="A sentence such as “move the drill to shelf B”.")
    dry_run = serializers.BooleanField(default=False,
                                       help_text="Return the parse without recording anything.")
    source = serializers.ChoiceField(
        choices=COMMAND_SOURCES,
        default=ProductEventSource.TEXT, help_text="How the sentence was entered.")
    note = serializers.CharField(required=False, default="", allow_blank=True)


class ParsedCommandSerializer(serializers.Serializer):
    name = serializers.CharField()
    location = serializers.CharField(allow_null=True)
    event_type = serializers.ChoiceField(choices=ProductEventType.choices)


class ProductCommandOutputSerializer(serializers.Serializer):
    parsed = ParsedCommandSerializer()
    recorded = serializers.BooleanField()
    message = serializers.CharField()
    product = ProductSerializer(allow_null=True, help_text=(
        "The product as it is after recording; with dry_run, as it is now (null if new)."))
    event = ProductEventSerializer(allow_null=True, required=False)
    created = serializers.BooleanField(help_text="The product is (or would be) new.")
    similar = ProductSerializer(many=True, required=False, help_text=(
        "dry_run of a new name only: existing products with every word of it "
        "(“drill” → “Cordless Drill”), in case one of them was meant."))
