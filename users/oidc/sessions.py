"""What the browser session remembers of an OpenID Connect sign-in, for RP-initiated logout.

At sign-in the session keeps the provider's name and ID token (the `id_token_hint` the
provider's end_session_endpoint asks for) when that provider offers logout. Signing out of
Sensorium flushes the session; the offer to sign out at the provider too is carried into
the fresh one, and used (once) by the "Sign out of … too" button.
"""

from typing import Any

from users.oidc.providers import Provider

SIGNED_IN_KEY = "oidc_signed_in"
SIGN_OUT_OFFER_KEY = "oidc_sign_out_offer"


def signed_in_remember(*, session, provider: Provider, id_token: str, end_session: bool) -> None:
    session[SIGNED_IN_KEY] = {"provider": provider.name, "display_name": provider.display_name,
                              "id_token": id_token if end_session else ""}


def provider_sign_out_offer(*, session) -> dict[str, Any] | None:
    """The offer to sign out at the provider too; read it before the session is flushed."""
    signed_in = session.get(SIGNED_IN_KEY)
    return dict(signed_in) if signed_in and signed_in.get("id_token") else None


def provider_sign_out_offer_keep(*, session, offer: dict[str, Any] | None) -> None:
    if offer:
        session[SIGN_OUT_OFFER_KEY] = offer


def provider_sign_out_offer_take(*, session) -> dict[str, Any] | None:
    return session.pop(SIGN_OUT_OFFER_KEY, None)
