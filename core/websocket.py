import socket
from functools import partial

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
