import socket
from functools import partial
from typing import Any

import msgspec
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Reject cross-site browser sockets; let through clients that send no Origin.

    Browsers always send Origin, and only browsers carry a session cookie, so the check
    guards cookie-authenticated viewers. Devices and native apps send no Origin and
    authenticate with a token instead.
    """

    def __init__(self, application):
        allowed = list(settings.ALLOWED_HOSTS) + list(settings.CORS_ALLOWED_ORIGINS)
        if settings.DEBUG:
            allowed += ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


SEND_BUFFER_KEY = "sensorium.send_buffer"


class SendBuffer:
    """What this connection has sent that the client has not taken yet (Daphne/Twisted)."""

    def __init__(self, transport):
        self.transport = transport

    def unsent(self) -> int:
        # Twisted's write buffer: dataBuffer from offset on, plus writes not yet joined into it.
        transport = self.transport
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen

    def limit(self, size: int) -> None:
        """Fix the kernel's send buffer for this socket (no auto-tuning up to megabytes)."""
        transport_socket = self.transport.getHandle()
        transport_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


class SendBufferMiddleware:
    """Give a WebSocket consumer a handle on its connection's send buffer.

    ASGI `send` never pushes back: Daphne hands every message to Twisted, which buffers
    it without limit when the client stops reading (after the kernel's own buffer, which
    auto-tunes up to megabytes). Under Daphne this puts `scope["sensorium.send_buffer"]`,
    a SendBuffer, so a consumer can bound both and drop instead. Other servers: no key.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        protocol = send.args[0] if isinstance(send, partial) and send.args else None  # daphne's handle_reply
        transport = getattr(protocol, "transport", None)
        if all(hasattr(transport, name) for name in ("dataBuffer", "offset", "_tempDataLen", "getHandle")):
            scope = {**scope, SEND_BUFFER_KEY: SendBuffer(transport)}
        return await self.application(scope, receive, send)


# --- What every JSON socket of the project shares (devices, viewers) -------------------------

_encoder = msgspec.json.Encoder()


class CloseCode:
    UNAUTHORIZED = 4401  # no token, or a wrong one
    FORBIDDEN = 4403  # a token of another sensor; a viewer who may not see the sensor
    BAD_REQUEST = 4400  # a viewer's query parameters are invalid
    IDLE = 4408  # nothing heard within DEVICE_IDLE_TIMEOUT
    REPLACED = 4409  # a newer connection for the same device took over
    # The cold path failed (broker or database down); the device reconnects and resends what was
    # not acked. Not 1011: Daphne (autobahn) lets an application close only with 1000 or 3000-4999.
    UNAVAILABLE = 4503


def in_thread(function):
    """Run blocking code (ORM, the ingest hand-over) off the event loop, in parallel with
    other sockets' work rather than queued behind it in one shared thread.

    The connection is released inside the call: channels' database_sync_to_async closes
    connections outside the copied context the function ran in, where it may not see the
    one the function opened, and the pool then runs dry."""

    def run_and_release(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run_and_release, thread_sensitive=False)


def header_value(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class JsonTextConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message):
        """As channels' dispatch, without its close_old_connections() before every message:
        that hops to the one thread-sensitive thread per frame (thousands a second here, all
        queued behind whatever else runs there). Every database call of these consumers
        goes through in_thread, which opens and releases its own connection."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=_encoder.encode(frame).decode())
