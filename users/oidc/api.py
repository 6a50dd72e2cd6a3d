"""OpenID Connect sign-in for native clients (desktop, mobile): their platform's browser
flow (RFC 8252) gets the authorization code; this endpoint turns it into Sensorium JWTs."""

import dataclasses
import time

from django.core.cache import cache
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from users.oidc.errors import SignInRefused, refusal_log
from users.oidc.providers import LEEWAY_S, claims_completed, code_exchange, id_token_verify, oauth_client, provider_get, providers_configured
from users.oidc.services import jwt_pair_issue, oidc_sign_in

# An ID token handed in directly is accepted once per nonce (until it expires).
ID_TOKEN_USED_PREFIX = "oidc:id-token-used:"


class SignInRefusedError(exceptions.APIException):
    def __init__(self, refusal: SignInRefused):
        super().__init__({refusal.field: [refusal.message]} if refusal.field else refusal.message)
        self.status_code = refusal.status


class OidcProvidersApi(APIView):
    """The OpenID Connect providers a native client can offer, with what it needs to start the
    browser flow (it reads the rest from `{issuer}/.well-known/openid-configuration`)."""

    permission_classes = [permissions.AllowAny]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OidcProvider"

        name = serializers.CharField()
        display_name = serializers.CharField()
        issuer = serializers.URLField()
        client_id = serializers.CharField(source="native_client_id", help_text="Client id for the native flow.")
        scopes = serializers.CharField()
        token_url = serializers.CharField(help_text="Where to send the code: POST it here.")

    @extend_schema(responses={200: OutputSerializer(many=True),
                              401: OpenApiResponse(description="A bad bearer token was sent (none is needed)")})
    def get(self, request):
        providers = [{**dataclasses.asdict(provider), "token_url": f"/api/v1/auth/oidc/{provider.name}/token"}
                     for provider in providers_configured()]
        return Response(self.OutputSerializer(providers, many=True).data)


class OidcTokenApi(APIView):
    """Exchange an authorization code (with its PKCE verifier and redirect URI) or the
    provider's ID token (with its nonce) for Sensorium's access and refresh JWTs."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OidcTokenInput"

        code = serializers.CharField(required=False, max_length=4096)
        code_verifier = serializers.CharField(required=False, min_length=43, max_length=128,
                                              help_text="The PKCE verifier (RFC 7636) the code was requested with.")
        redirect_uri = serializers.URLField(required=False, max_length=2048,
                                            help_text="The redirect URI the code was sent to, e.g. "
                                                      "http://127.0.0.1:53682/callback.")
        id_token = serializers.CharField(required=False, max_length=16384)
        nonce = serializers.CharField(required=False, max_length=512,
                                      help_text="The nonce of the authorization request; required with id_token.")

        def validate(self, data):
            if "id_token" in data:
                if "code" in data:
                    raise serializers.ValidationError({"id_token": ["Send either code or id_token, not both."]})
                if not data.get("nonce"):
                    raise serializers.ValidationError({"nonce": ["Required with id_token."]})
                return data
            missing = {name: ["Required with code."] for name in ("code", "code_verifier", "redirect_uri")
                       if not data.get(name)}
            if "code" not in data:
                missing = {"code": ["Send code (with code_verifier and redirect_uri) or id_token (with nonce)."]}
            if missing:
                raise serializers.ValidationError(missing)
            return data

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OidcTokenOutput"

        access = serializers.CharField()
        refresh = serializers.CharField()
        username = serializers.CharField()
        created = serializers.BooleanField(help_text="True when this sign-in created the Sensorium account.")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="Invalid input, or the provider refused the code "
                                             "(invalid, expired or already used): `details.code`"),
            401: OpenApiResponse(description="The ID token failed verification: signature, issuer, "
                                             "audience, expiry or nonce"),
            403: OpenApiResponse(description="An account with this email exists but the provider has not "
                                             "verified the email, or the account is disabled"),
            404: OpenApiResponse(description="No such provider configured"),
            503: OpenApiResponse(description="The provider is not answering"),
        })
    def post(self, request, provider: str):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        flow = "native_id_token" if "id_token" in data else "native_code"
        try:
            chosen = provider_get(name=provider)
            user, created = oidc_sign_in(provider=chosen, claims=self._claims(chosen, data))
        except SignInRefused as refusal:
            refusal_log(refusal=refusal, provider=provider, flow=flow)
            raise SignInRefusedError(refusal) from refusal
        return Response({**jwt_pair_issue(user=user), "username": user.username, "created": created})

    @staticmethod
    def _claims(provider, data) -> dict:
        client = oauth_client(provider=provider, native=True)
        if "id_token" not in data:
            token = code_exchange(provider=provider, client=client, code=data["code"],
                                  code_verifier=data["code_verifier"], redirect_uri=data["redirect_uri"])
            claims = id_token_verify(provider=provider, client=client, token=token, nonce=data.get("nonce"))
            return claims_completed(provider=provider, client=client, token=token, claims=claims)
        claims = id_token_verify(provider=provider, client=client, token={"id_token": data["id_token"]},
                                 nonce=data["nonce"])
        key = f"{ID_TOKEN_USED_PREFIX}{provider.name}:{claims['sub']}:{data['nonce']}"
        if not cache.add(key, True, timeout=max(60, int(claims["exp"]) - int(time.time()) + LEEWAY_S)):
            raise SignInRefused("This ID token was already used to sign in. Start the sign-in again.",
                                reason="id_token_replayed")
        return claims
