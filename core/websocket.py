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
