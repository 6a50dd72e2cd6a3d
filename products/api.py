from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_body
from products.parser import CommandNotUnderstood, command_parse
from products.selectors import product_get, product_list, product_similar_list
from products.serializers import (
    ParsedCommandSerializer,
    ProductCommandInputSerializer,
    ProductCommandOutputSerializer,
    ProductDetailSerializer,
    ProductEventInputSerializer,
    ProductEventRecordedSerializer,
    ProductEventSerializer,
    ProductListQuerySerializer,
    ProductSerializer,
)
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

    @extend_schema(parameters=[ProductListQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ProductListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return product_list(**query.validated_data)


class ProductDetailApi(APIView):
    @extend_schema(responses={200: ProductDetailSerializer, 404: _ERROR})
    def get(self, request, product_id: int):
        """One product with its whole event history, newest first."""
        return Response(ProductDetailSerializer(product_get(product_id=product_id)).data)


class ProductEventCreateApi(APIView):
    @extend_schema(
        request=ProductEventInputSerializer,
        responses={201: ProductEventRecordedSerializer, 400: _ERROR},
        examples=[OpenApiExample("Move", request_only=True, value={
            "name": "cordless drill", "location": "shelf B", "event_type": "moved", "note": ""})],
    )
    def post(self, request):
        """Record an event. A new name creates the product with an "added" event first;
        an existing one gets the event and moves to its location."""
        serializer = ProductEventInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recorded = product_event_record(user=request.user, **serializer.validated_data)
        return Response(_recorded_output(recorded), status=status.HTTP_201_CREATED)


class ProductCommandApi(APIView):
    @extend_schema(
        request=ProductCommandInputSerializer,
        responses={
            200: OpenApiResponse(ProductCommandOutputSerializer,
                                 description="dry_run: what would be recorded"),
            201: OpenApiResponse(ProductCommandOutputSerializer, description="Recorded"),
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
        serializer = ProductCommandInputSerializer(data=request.data)
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
        output = {"parsed": ParsedCommandSerializer(parsed).data}
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
