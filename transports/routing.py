from django.urls import re_path

from telemetry.routing import SENSOR_ID
from transports.websocket import DeviceGatewayConsumer

websocket_urlpatterns = [
    re_path(rf"^ws/devices/{SENSOR_ID}/?$", DeviceGatewayConsumer.as_asgi()),
]
