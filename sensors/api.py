import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from sensors.models import Sensor
from sensors.selectors import sensor_list
from sensors.serializers import (
    DeviceTokenSerializer,
    SensorCreatedSerializer,
    SensorSerializer,
    SensorUpdateSerializer,
)
from sensors.services import sensor_create, sensor_delete, sensor_token_rotate, sensor_update


class SensorFilter(django_filters.FilterSet):
    class Meta:
        model = Sensor
        fields = ["status", "device_type", "ble_profile"]


class SensorViewSet(viewsets.ModelViewSet):
    """The sensor registry. Users see their own sensors; staff see all."""

    serializer_class = SensorSerializer
    filterset_class = SensorFilter
    search_fields = ["id", "name", "mac_address"]
    ordering_fields = ["id", "name", "created_at", "last_seen"]
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
