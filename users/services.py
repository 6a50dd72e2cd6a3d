import time

from django.core.cache import cache
from django.db import transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import Profile, User

REVOKED_ACCESS_PREFIX = "jwt:revoked:"


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", is_staff: bool = False,
                display_name: str = "") -> User:
    user = User.objects.create_user(username=username, password=password, email=email, is_staff=is_staff)
    if display_name:
        Profile.objects.filter(user=user).update(display_name=display_name)
        user.profile.refresh_from_db()
    return user


def profile_update(*, profile: Profile, **fields) -> Profile:
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save(update_fields=list(fields))
    return profile


def session_logout(*, refresh_token: str, access_token: str | None) -> None:
    """Invalidate a sign-in: the refresh token is blacklisted for good, and the access
    token presented with the request stops working now rather than at its expiry."""
    RefreshToken(refresh_token).blacklist()
    if access_token:
        try:
            access = AccessToken(access_token)
        except TokenError:
            return
        remaining = max(1, int(access["exp"] - time.time()))
        cache.set(REVOKED_ACCESS_PREFIX + access["jti"], True, timeout=remaining)
