"""How products and their events look in every answer; each view nests its own input and output."""

from rest_framework import serializers

from products.models import Product, ProductEvent, ProductEventSource

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
