"""WebSocket sign-in for clients without a session cookie: `?token=<JWT access token>`.

Sits inside Channels' AuthMiddlewareStack: a valid token replaces the session user, an
invalid or revoked one leaves the socket anonymous (the consumer then refuses it).
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from users.authentication import RevocableJWTAuthentication


def jwt_user(*, raw_token: str):
    authentication = RevocableJWTAuthentication()
    try:
        return authentication.get_user(authentication.get_validated_token(raw_token))
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser()


class JWTQueryAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        if token:
            scope = dict(scope, user=await database_sync_to_async(jwt_user)(raw_token=token))
        return await self.inner(scope, receive, send)
