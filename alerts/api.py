"""/api/v1/alarms…: rules and channels (CRUD), alarms (list, acknowledge, clear, history),
deliveries (webhook and email attempts, dead letters). Everyone sees their own; staff all."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from alerts import selectors, services
from alerts.models import AlarmState, DeliveryStatus, Severity
from alerts.serializers import (
    AlarmEventSerializer,
    AlarmSerializer,
    AlarmTransitionSerializer,
    ChannelCreatedSerializer,
    ChannelSerializer,
    DeliverySerializer,
    RuleSerializer,
)
from core.errors import Conflict


class NewestFirstCursor(pagination.CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class OwnedViewSet(viewsets.GenericViewSet):
    """The caller's own objects (staff: everyone's) through `visible(user=...)`."""

    filter_backends = []
    lookup_value_regex = r"\d+"
    visible = None

    def get_queryset(self):
        return type(self).visible(user=self.request.user)


class RuleViewSet(OwnedViewSet, viewsets.ModelViewSet):
    """Alarm rules: a condition on one sensor, or on every sensor of a device type you own."""

    serializer_class = RuleSerializer
    queryset = selectors.Rule.objects.none()
    visible = selectors.rule_list

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        channels = data.pop("channels", [])
        serializer.instance = services.rule_create(owner=self.request.user, channels=channels, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        channels = data.pop("channels", None)
        serializer.instance = services.rule_update(rule=serializer.instance, channels=channels, **data)

    def perform_destroy(self, instance):
        services.rule_delete(rule=instance)


class ChannelViewSet(OwnedViewSet, viewsets.ModelViewSet):
    """Where alarms are announced: email addresses, or a signed webhook."""

    serializer_class = ChannelSerializer
    queryset = selectors.NotificationChannel.objects.none()
    visible = selectors.channel_list

    @extend_schema(request=ChannelSerializer, responses={201: ChannelCreatedSerializer})
    def create(self, request, *args, **kwargs):
        given = ChannelSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        channel = services.channel_create(owner=request.user, **given.validated_data)
        return Response(ChannelCreatedSerializer(channel).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.channel_update(channel=serializer.instance, **serializer.validated_data)


ALARM_FILTERS = [
    OpenApiParameter("active", OpenApiTypes.BOOL, description="true: active or acknowledged; false: cleared"),
    OpenApiParameter("state", OpenApiTypes.STR, enum=AlarmState.values),
    OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values),
    OpenApiParameter("sensor", OpenApiTypes.STR, description="A sensor id"),
    OpenApiParameter("rule", OpenApiTypes.INT),
]


def _choice(request, name: str, allowed: list[str]) -> str:
    value = request.query_params.get(name, "")
    if value and value not in allowed:
        raise ValidationError({name: [f"One of {', '.join(allowed)}."]})
    return value


def _boolean(request, name: str) -> bool | None:
    value = request.query_params.get(name, "").lower()
    if not value:
        return None
    if value not in ("true", "false", "1", "0"):
        raise ValidationError({name: ["true or false."]})
    return value in ("true", "1")


class AlarmViewSet(OwnedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Alarms, newest first (cursor paging: follow `next`). Lifecycle: active → acknowledged → cleared."""

    serializer_class = AlarmSerializer
    pagination_class = NewestFirstCursor
    queryset = selectors.Alarm.objects.none()

    def get_queryset(self):
        request = self.request
        rule = request.query_params.get("rule", "")
        if rule and not rule.isdigit():
            raise ValidationError({"rule": ["A rule id."]})
        return selectors.alarm_list(
            user=request.user, active=_boolean(request, "active"),
            state=_choice(request, "state", AlarmState.values), severity=_choice(request, "severity", Severity.values),
            sensor_id=request.query_params.get("sensor", ""), rule_id=int(rule) if rule else None)

    @extend_schema(parameters=ALARM_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _transition(self, request, step):
        given = AlarmTransitionSerializer(data=request.data if isinstance(request.data, dict) else {})
        given.is_valid(raise_exception=True)
        alarm = self.get_object()
        try:
            alarm = step(alarm=alarm, user=request.user, note=given.validated_data["note"])
        except services.AlarmTransitionInvalid as exc:
            raise Conflict({"state": [str(exc)]}) from exc
        return Response(AlarmSerializer(alarm).data)

    @extend_schema(request=AlarmTransitionSerializer, responses={200: AlarmSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge an active alarm (409 if it is not active). It stays open until cleared."""
        return self._transition(request, services.alarm_acknowledge)

    @extend_schema(request=AlarmTransitionSerializer, responses={200: AlarmSerializer})
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        """Clear an open alarm by hand (409 if already cleared); a condition still met raises a new one."""
        return self._transition(request, services.alarm_clear)

    @extend_schema(responses={200: AlarmEventSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        """Each lifecycle step with who and when, and its notifications with their attempts."""
        return Response(AlarmEventSerializer(selectors.alarm_history(alarm=self.get_object()), many=True).data)


class DeliveryViewSet(OwnedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Notification deliveries with their attempts; `status=dead` lists the dead letters."""

    serializer_class = DeliverySerializer
    pagination_class = NewestFirstCursor
    queryset = selectors.NotificationDelivery.objects.none()

    def get_queryset(self):
        return selectors.delivery_list(user=self.request.user,
                                       status=_choice(self.request, "status", DeliveryStatus.values))

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=DeliveryStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
