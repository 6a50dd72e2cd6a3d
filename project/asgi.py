"""ASGI entry point: HTTP goes to Django, WebSockets to Channels (served by Daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.websocket import BrowserOriginValidator  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402
from users.websocket import JWTQueryAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(JWTQueryAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
