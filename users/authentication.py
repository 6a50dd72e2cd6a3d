from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from users.services import REVOKED_ACCESS_PREFIX


class RevocableJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication plus the revocation list that logout writes."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        if cache.get(REVOKED_ACCESS_PREFIX + str(token.get("jti"))):
            raise InvalidToken({"detail": "Token has been revoked by logout.", "code": "token_revoked"})
        return token


class RevocableJWTScheme(OpenApiAuthenticationExtension):
    target_class = "users.authentication.RevocableJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
