"""Verified OpenID Connect claims → Sensorium accounts: sign in, link, unlink, JWT pair."""

import re
from typing import Any

from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import OidcIdentity, Profile, User
from users.oidc.errors import SignInRefused
from users.oidc.providers import Provider

USERNAME_ALLOWED = re.compile(r"[^\w.@+-]")
USERNAME_MAX = 150


def email_verified(claims: dict[str, Any]) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true", "True")


def _username_free(base: str) -> str:
    base = USERNAME_ALLOWED.sub("", base)[: USERNAME_MAX - 4] or "user"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _username_suggest(*, provider: Provider, claims: dict[str, Any]) -> str:
    for claim in ("preferred_username", "email"):
        value = str(claims.get(claim) or "")
        if claim == "email":
            value = value.split("@", 1)[0]
        if USERNAME_ALLOWED.sub("", value):
            return _username_free(value)
    return _username_free(f"{provider.name}-{str(claims['sub'])[:12]}")


def _user_by_verified_email(*, provider: Provider, claims: dict[str, Any]) -> User | None:
    """The existing account with the provider's email, if the provider vouches for it."""
    email = str(claims.get("email") or "").strip()
    if not email:
        return None
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if not matches:
        return None
    if not email_verified(claims):
        raise SignInRefused(
            f"A Sensorium account with the email {email} already exists, but {provider.display_name} "
            "has not verified that this email is yours, so it was not signed in. Sign in with your "
            f"password and link {provider.display_name} on your account page.",
            reason="unverified_email_matches_account", status=403)
    if len(matches) > 1:
        raise SignInRefused(
            f"Several Sensorium accounts use the email {email}. Sign in with your password and link "
            f"{provider.display_name} on your account page.", reason="email_ambiguous", status=403)
    return matches[0]


def _user_create(*, provider: Provider, claims: dict[str, Any]) -> User:
    verified_email = str(claims.get("email") or "") if email_verified(claims) else ""
    user = User(username=_username_suggest(provider=provider, claims=claims), email=verified_email,
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150])
    user.set_unusable_password()
    user.save()
    display_name = str(claims.get("name") or "")[:150]
    if display_name:
        Profile.objects.filter(user=user).update(display_name=display_name)
    return user


def _identity_touch(identity: OidcIdentity, claims: dict[str, Any]) -> None:
    identity.email = str(claims.get("email") or "")[:254] if email_verified(claims) else identity.email
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["email", "last_login_at"])


def oidc_sign_in(*, provider: Provider, claims: dict[str, Any]) -> tuple[User, bool]:
    """The account for verified ID token claims, and whether it was created now.

    Known (provider, subject) → its user. Otherwise an account with the same email is
    linked only when the provider says `email_verified`; with no such account a new one is
    made (no password). Staff rights are granted only by the provider's explicit mapping.
    """
    try:
        with transaction.atomic():
            user, created = _sign_in(provider=provider, claims=claims)
    except IntegrityError:
        # A concurrent first sign-in of the same person created the identity meanwhile.
        with transaction.atomic():
            user, created = _sign_in(provider=provider, claims=claims)
    return user, created


def _sign_in(*, provider: Provider, claims: dict[str, Any]) -> tuple[User, bool]:
    subject = str(claims["sub"])
    identity = OidcIdentity.objects.select_related("user").filter(provider=provider.name, subject=subject).first()
    created = False
    if identity is None:
        user = _user_by_verified_email(provider=provider, claims=claims)
        if user is None:
            user, created = _user_create(provider=provider, claims=claims), True
        elif user.oidc_identities.filter(provider=provider.name).exists():
            raise SignInRefused(
                f"Your Sensorium account is linked to another {provider.display_name} account.",
                reason="other_identity_linked", status=403)
        identity = OidcIdentity.objects.create(user=user, provider=provider.name, subject=subject)
    user = identity.user
    if not user.is_active:
        raise SignInRefused("This Sensorium account is disabled.", reason="account_inactive", status=403)
    _identity_touch(identity, claims)
    if provider.grants_staff(claims) and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user, created


@transaction.atomic
def oidc_identity_link(*, user: User, provider: Provider, claims: dict[str, Any]) -> OidcIdentity:
    """Link the signed-in user's account to their account at the provider."""
    subject = str(claims["sub"])
    owner = OidcIdentity.objects.filter(provider=provider.name, subject=subject).values_list("user_id", flat=True).first()
    if owner is not None and owner != user.pk:
        raise SignInRefused(f"This {provider.display_name} account is already linked to another Sensorium user.",
                            reason="identity_taken", status=409)
    if owner is None and user.oidc_identities.filter(provider=provider.name).exists():
        raise SignInRefused(f"Your account is already linked to a {provider.display_name} account; "
                            "unlink it first.", reason="other_identity_linked", status=409)
    identity, _ = OidcIdentity.objects.get_or_create(user=user, provider=provider.name, subject=subject)
    _identity_touch(identity, claims)
    return identity


@transaction.atomic
def oidc_identity_unlink(*, user: User, provider_name: str) -> None:
    identities = list(user.oidc_identities.select_for_update())
    if not any(identity.provider == provider_name for identity in identities):
        return
    if not user.has_usable_password() and len(identities) == 1:
        raise SignInRefused("This is your only way to sign in: your account has no password. "
                            "Ask an administrator to set one before unlinking.", reason="last_sign_in_method",
                            status=409)
    user.oidc_identities.filter(provider=provider_name).delete()


def jwt_pair_issue(*, user: User) -> dict[str, str]:
    """Sensorium's own access and refresh JWTs, as POST /auth/login returns them."""
    refresh = RefreshToken.for_user(user)
    if jwt_settings.UPDATE_LAST_LOGIN:
        update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
