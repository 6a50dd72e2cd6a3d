from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_body
from products.models import ProductEventSource, ProductEventType, ProductStatus
from products.parser import COMMAND_MAX_LENGTH, CommandNotUnderstood, command_parse
from products.selectors import product_get, product_list, product_similar_list
from products.serializers import COMMAND_SOURCES, ProductDetailSerializer, ProductEventSerializer, ProductSerializer
from products.services import product_event_preview, product_event_record

_ERROR = OpenApiResponse(description='{"error": "<one line>", "details": {"<field>": ["..."]}}')

_MISSING_PART_HINTS = {
    "name": "Say which product, for example “the drill”.",
    "location": "Say where it is now, for example “to shelf B”.",
    "event_type": "Say what happened: add, move, check out, return or remove.",
    "text": "Say one short sentence.",
}


def _recorded_output(recorded) -> dict:
    return {
        "product": ProductSerializer(recorded.product).data,
        "event": ProductEventSerializer(recorded.event).data,
        "created": recorded.created,
        "message": recorded.message,
    }


class ProductListApi(ListAPIView):
    """Products, by name; filter by part of the name, a location or a status."""

    serializer_class = ProductSerializer
    filter_backends: list = []

    class InputSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, default="", allow_blank=True,
                                       help_text="Part of the name; case and spacing are ignored.")
        location = serializers.CharField(required=False, default="", allow_blank=True,
                                         help_text="Only products at this location (case ignored).")
        status = serializers.ChoiceField(choices=ProductStatus.choices, required=False)

    @extend_schema(parameters=[InputSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = self.InputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return product_list(**query.validated_data)


class ProductDetailApi(APIView):
    @extend_schema(responses={200: ProductDetailSerializer, 404: _ERROR})
    def get(self, request, product_id: int):
        """One product with its whole event history, newest first."""
        return Response(ProductDetailSerializer(product_get(product_id=product_id)).data)


class ProductEventCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
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

    class OutputSerializer(serializers.Serializer):
        product = ProductSerializer()
        event = ProductEventSerializer()
        created = serializers.BooleanField(help_text="True when this request created the product.")
        message = serializers.CharField(help_text="What was recorded, in words, to show the person.")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 400: _ERROR},
        examples=[OpenApiExample("Move", request_only=True, value={
            "name": "cordless drill", "location": "shelf B", "event_type": "moved", "note": ""})],
    )
    def post(self, request):
        """Record an event. A new name creates the product with an "added" event first;
        an existing one gets the event and moves to its location."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = product_event_record(user=request.user, **serializer.validated_data)
        return Response(_recorded_output(recorded), status=status.HTTP_201_CREATED)


class ProductCommandApi(APIView):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=COMMAND_MAX_LENGTH,
                                     help_text="A sentence such as “move the drill to shelf B”.")
        dry_run = serializers.BooleanField(default=False,
                                           help_text="Return the parse without recording anything.")
        source = serializers.ChoiceField(
            choices=COMMAND_SOURCES,
            default=ProductEventSource.TEXT, help_text="How the sentence was entered.")
        note = serializers.CharField(required=False, default="", allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        class ParsedSerializer(serializers.Serializer):
            name = serializers.CharField()
            location = serializers.CharField(allow_null=True)
            event_type = serializers.ChoiceField(choices=ProductEventType.choices)

        parsed = ParsedSerializer()
        recorded = serializers.BooleanField()
        message = serializers.CharField()
        product = ProductSerializer(allow_null=True, help_text=(
            "The product as it is after recording; with dry_run, as it is now (null if new)."))
        event = ProductEventSerializer(allow_null=True, required=False)
        created = serializers.BooleanField(help_text="The product is (or would be) new.")
        similar = ProductSerializer(many=True, required=False, help_text=(
            "dry_run of a new name only: existing products with every word of it "
            "(“drill” → “Cordless Drill”), in case one of them was meant."))

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OpenApiResponse(OutputSerializer, description="dry_run: what would be recorded"),
            201: OpenApiResponse(OutputSerializer, description="Recorded"),
            400: _ERROR,
            422: OpenApiResponse(description=(
                "Not understood: `error` says which part is missing and gives an example; "
                "`details` has one entry per missing part (name, location, event_type).")),
        },
        examples=[OpenApiExample("Sentence", request_only=True, value={
            "text": "move the drill to shelf B", "dry_run": True})],
    )
    def post(self, request):
        """Parse a typed or spoken sentence ("move the drill to shelf B") and record it."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            parsed = command_parse(text=data["text"])
        except CommandNotUnderstood as refused:
            details = {part: [_MISSING_PART_HINTS.get(part, refused.message)]
                       for part in refused.missing}
            return Response(error_body(refused.message, details),
                            status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        event = {"name": parsed.name, "location": parsed.location,
                 "event_type": parsed.event_type, "source": data["source"], "note": data["note"]}
        output = {"parsed": self.OutputSerializer.ParsedSerializer(parsed).data}
        if data["dry_run"]:
            preview = product_event_preview(**event)
            similar = product_similar_list(name=parsed.name) if preview.creates else []
            output.update(
                recorded=False, message=preview.message, created=preview.creates, event=None,
                product=ProductSerializer(preview.product).data if preview.product else None,
                similar=ProductSerializer(similar, many=True).data)
            return Response(output)
        recorded = product_event_record(user=request.user, **event)
        output.update(recorded=True, **_recorded_output(recorded))
        return Response(output, status=status.HTTP_201_CREATED)
