"""The configured OpenID Connect providers and every call Sensorium makes to them.

authlib does the protocol and the cryptography: discovery, the authorization URL with
PKCE (S256), `state` and `nonce`, the code exchange, and the ID token's verification
against the provider's JWKS (signature, `iss`, `aud`, `exp`, `nonce`). This module picks
the settings, insists on the checks authlib leaves optional (an ID token must be there,
`aud` must name our client, the discovery document's issuer must be the configured one)
and turns each failure into a `SignInRefused` with a message a person can act on.
"""

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from joserfc.errors import (BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError,
                            JoseError)

from users.oidc.errors import SignInRefused

# Discovery documents and key sets are kept this long per process, then fetched again
# (keys rotated meanwhile are picked up at once: an unknown key id refetches the JWKS).
METADATA_MAX_AGE_S = 3600
# Clock skew tolerated on `exp`, `iat` and `nbf`.
LEEWAY_S = 60


@dataclass(frozen=True)
class Provider:
    name: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    native_client_id: str
    native_client_secret: str
    staff_claim: str
    staff_values: tuple[str, ...]

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def grants_staff(self, claims: dict[str, Any]) -> bool:
        """True only when the explicit mapping is configured and the claims match it."""
        if not (self.staff_claim and self.staff_values):
            return False
        value = claims.get(self.staff_claim)
        values = value if isinstance(value, (list, tuple)) else [value]
        return any(str(item) in self.staff_values for item in values if item is not None)


def providers_configured() -> list[Provider]:
    return [_provider_from(config) for config in settings.OIDC_PROVIDERS.values()]


def provider_get(*, name: str) -> Provider:
    config = settings.OIDC_PROVIDERS.get(name)
    if config is None:
        raise SignInRefused(f"Sign-in with {name!r} is not configured here.", reason="unknown_provider",
                            status=404)
    return _provider_from(config)


def _provider_from(config: dict[str, Any]) -> Provider:
    return Provider(**{**config, "staff_values": tuple(config["staff_values"])})


def oauth_client(*, provider: Provider, native: bool = False) -> DjangoOAuth2App:
    """authlib's client for the provider: the web client, or the one native apps use."""
    return _oauth_client(provider, native, settings.OIDC_TIMEOUT_S)


@lru_cache(maxsize=64)
def _oauth_client(provider: Provider, native: bool, timeout: float) -> DjangoOAuth2App:
    client_id = provider.native_client_id if native else provider.client_id
    secret = provider.native_client_secret if native else provider.client_secret
    name = f"oidc_{provider.name}_{'native' if native else 'web'}"
    return DjangoOAuth2App(
        DjangoIntegration(name), name=name, client_id=client_id, client_secret=secret or None,
        server_metadata_url=provider.discovery_url,
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": timeout,
            # A public client (native apps without a secret) proves itself by PKCE alone.
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
        },
    )


def _unavailable(provider: Provider) -> SignInRefused:
    return SignInRefused(
        f"{provider.display_name} is not answering right now, so signing in with it is not possible. "
        "Try again in a moment, or sign in with your Sensorium username and password.",
        reason="provider_unavailable", status=503)


def metadata_load(*, provider: Provider, client: DjangoOAuth2App, fresh: bool = False) -> dict[str, Any]:
    loaded_at = client.server_metadata.get("_loaded_at")
    if loaded_at is not None and (fresh or time.time() - loaded_at > METADATA_MAX_AGE_S):
        client.server_metadata.clear()
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider) from exc
    if metadata.get("issuer") != provider.issuer:
        # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        client.server_metadata.clear()
        raise SignInRefused(f"{provider.display_name}'s discovery document names another issuer; "
                            "ask the administrator to check its issuer setting.",
                            reason="issuer_mismatch", status=502)
    return metadata


def authorization_url_create(*, provider: Provider, client: DjangoOAuth2App, redirect_uri: str) -> dict:
    """{url, state, nonce, code_verifier} for a new sign-in (authlib makes the random values).

    The discovery document is fetched afresh: a provider that is down is found out here,
    with a message on our login page, rather than by the browser on the provider's doorstep.
    """
    metadata_load(provider=provider, client=client, fresh=True)
    return client.create_authorization_url(redirect_uri)


def code_exchange(*, provider: Provider, client: DjangoOAuth2App, code: str, code_verifier: str,
                  redirect_uri: str) -> dict[str, Any]:
    metadata_load(provider=provider, client=client)
    try:
        return client.fetch_access_token(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri)
    except AuthlibBaseError as exc:
        # invalid_grant: the code is wrong, expired or already used (or the verifier does not fit).
        raise SignInRefused(
            f"{provider.display_name} refused the authorization code ({exc.error}): it is invalid, "
            "expired or already used. Start the sign-in again.",
            reason=f"code_refused_{exc.error}", status=400, field="code") from exc
    except (requests.RequestException, ValueError) as exc:
        raise _unavailable(provider) from exc


def _claim_refusal(provider: Provider, exc: ClaimError) -> SignInRefused:
    messages = {
        "aud": ("was issued for another application (wrong audience)", "wrong_audience"),
        "azp": ("was issued for another application (wrong authorized party)", "wrong_audience"),
        "iss": ("comes from another issuer", "wrong_issuer"),
        "nonce": ("does not belong to this sign-in (nonce mismatch)", "nonce_mismatch"),
    }
    text, reason = messages.get(exc.claim, (f"has an invalid '{exc.claim}' claim", f"invalid_claim_{exc.claim}"))
    return SignInRefused(f"The sign-in answer from {provider.display_name} {text}. Start the sign-in again.",
                         reason=reason)


def id_token_verify(*, provider: Provider, client: DjangoOAuth2App, token: dict[str, Any],
                    nonce: str | None) -> dict[str, Any]:
    """The verified ID token claims of a token response (or of `{"id_token": ...}` alone)."""
    if not token.get("id_token"):
        raise SignInRefused(f"{provider.display_name} sent no ID token, so the sign-in cannot be verified.",
                            reason="no_id_token")
    metadata_load(provider=provider, client=client)
    claims_options = {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": client.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    try:
        claims = client.parse_id_token(token, nonce=nonce, claims_options=claims_options, leeway=LEEWAY_S)
    except BadSignatureError as exc:
        raise SignInRefused(f"The sign-in answer from {provider.display_name} failed its signature check "
                            "(it was altered or not signed by the provider).", reason="bad_signature") from exc
    except ExpiredTokenError as exc:
        raise SignInRefused(f"The sign-in answer from {provider.display_name} has expired. "
                            "Check this computer's clock and start the sign-in again.", reason="expired") from exc
    except ClaimError as exc:
        raise _claim_refusal(provider, exc) from exc
    except InvalidKeyIdError as exc:
        raise SignInRefused(f"The sign-in answer from {provider.display_name} is signed with a key the "
                            "provider does not publish.", reason="unknown_key") from exc
    except requests.RequestException as exc:
        raise _unavailable(provider) from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused(f"The sign-in answer from {provider.display_name} is not a valid ID token.",
                            reason="malformed_id_token") from exc
    return dict(claims)


def claims_completed(*, provider: Provider, client: DjangoOAuth2App, token: dict[str, Any],
                     claims: dict[str, Any]) -> dict[str, Any]:
    """Claims with the userinfo endpoint's answer added when the ID token has no email
    (some providers keep the ID token small). The ID token's own claims win."""
    userinfo_url = client.server_metadata.get("userinfo_endpoint")
    if claims.get("email") or not token.get("access_token") or not userinfo_url:
        return claims
    try:
        userinfo = client.userinfo(token=token)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        raise _unavailable(provider) from exc
    if str(userinfo.get("sub")) != str(claims["sub"]):
        # OpenID Connect Core §5.3.2: userinfo for another subject must not be used.
        raise SignInRefused(f"{provider.display_name}'s user information is about someone else.",
                            reason="userinfo_subject_mismatch")
    return {**userinfo, **claims}
