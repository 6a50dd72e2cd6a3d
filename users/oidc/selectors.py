from dataclasses import dataclass

from users.models import OidcIdentity, User
from users.oidc.providers import Provider, providers_configured


@dataclass(frozen=True)
class SignInMethod:
    provider: Provider
    identity: OidcIdentity | None


def sign_in_methods(*, user: User) -> list[SignInMethod]:
    """Each configured provider with the user's linked identity at it, if any."""
    linked = {identity.provider: identity for identity in user.oidc_identities.all()}
    return [SignInMethod(provider=provider, identity=linked.get(provider.name)) for provider in providers_configured()]
