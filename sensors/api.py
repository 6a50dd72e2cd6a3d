import django_filters
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sensors.models import Sensor
from sensors.selectors import commands_of, commands_shown, sensor_list
from sensors.serializers import (
    CommandSerializer,
    DeviceTokenSerializer,
    SensorCreatedSerializer,
    SensorSerializer,
    SensorUpdateSerializer,
)
from sensors.services import command_create, sensor_create, sensor_delete, sensor_token_rotate, sensor_update


class SensorFilter(django_filters.FilterSet):
    class Meta:
        model = Sensor
        fields = ["status", "device_type", "ble_profile", "online"]


class SensorViewSet(viewsets.ModelViewSet):
    """The sensor registry. Users see their own sensors; staff see all."""

    serializer_class = SensorSerializer
    filterset_class = SensorFilter
    search_fields = ["id", "name", "mac_address"]
    ordering_fields = ["id", "name", "created_at", "last_seen", "online"]
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}"

    queryset = Sensor.objects.none()  # for the schema generator; requests use get_queryset

    def get_queryset(self):
        return sensor_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return SensorUpdateSerializer
        return SensorSerializer

    @extend_schema(request=SensorSerializer, responses={201: SensorCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = SensorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sensor, token = sensor_create(owner=request.user, **serializer.validated_data)
        output = SensorCreatedSerializer(sensor).data
        output["token"] = token
        return Response(output, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        sensor_update(sensor=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        sensor_delete(sensor=instance)

    @extend_schema(request=None, responses={200: DeviceTokenSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request, pk=None):
        """Issue a new device token; the old one stops working at once."""
        token = sensor_token_rotate(sensor=self.get_object())
        return Response({"token": token})

    @extend_schema(methods=["GET"], request=None, responses={200: CommandSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CommandSerializer, responses={201: CommandSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def commands(self, request, pk=None):
        """Commands to this device, newest first, in pages (`page`, `page_size`). POST queues
        one and delivers it at once if the device is connected (to whichever server holds it),
        else when it reconnects, unless expired."""
        sensor = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(commands_of(sensor=sensor))
            return self.get_paginated_response(CommandSerializer(commands_shown(commands=page), many=True).data)
        serializer = CommandSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        command = command_create(sensor=sensor, name=data["name"], params=data["params"],
                                 ttl_seconds=data.get("ttl_seconds") or settings.COMMAND_DEFAULT_TTL,
                                 created_by=request.user)
        return Response(CommandSerializer(command).data, status=status.HTTP_201_CREATED)
