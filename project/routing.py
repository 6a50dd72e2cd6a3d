"""WebSocket routes. Each app contributes its own `websocket_urlpatterns`."""

websocket_urlpatterns: list = []
