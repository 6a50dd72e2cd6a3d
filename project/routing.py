"""WebSocket routes. Each app contributes its own `websocket_urlpatterns`."""

from telemetry.routing import websocket_urlpatterns as telemetry_websockets

websocket_urlpatterns: list = [*telemetry_websockets]
