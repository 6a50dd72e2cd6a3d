"""WebSocket routes. Each app contributes its own `websocket_urlpatterns`."""

from telemetry.routing import websocket_urlpatterns as telemetry_websockets
from transports.routing import websocket_urlpatterns as transport_websockets

websocket_urlpatterns: list = [*transport_websockets, *telemetry_websockets]
