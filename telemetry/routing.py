from django.urls import re_path

from telemetry.consumers import FleetConsumer, SensorStreamConsumer

SENSOR_ID = r"(?P<sensor_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,49})"

websocket_urlpatterns = [
    re_path(rf"^ws/data/stream/{SENSOR_ID}/?$", SensorStreamConsumer.as_asgi()),
    re_path(r"^ws/fleet/?$", FleetConsumer.as_asgi()),
]
