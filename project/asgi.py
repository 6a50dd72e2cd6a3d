"""ASGI entry point: HTTP goes to Django, WebSockets to Channels (served by Daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from core.websocket import BrowserOriginValidator, SendBufferMiddleware  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402
from transports.http import IngestFastPath  # noqa: E402
from users.websocket import JWTQueryAuthMiddleware  # noqa: E402

import gc  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Device ingest is answered before Django (transports/http.py); the rest goes through.
        "http": IngestFastPath(django_asgi_app),
        "websocket": SendBufferMiddleware(BrowserOriginValidator(
            AuthMiddlewareStack(JWTQueryAuthMiddleware(URLRouter(websocket_urlpatterns)))
        )),
    }
)

# Everything loaded so far lives as long as the process: keep it out of the garbage
# collector's full passes, which otherwise re-scan it while ingest allocates.
gc.freeze()
