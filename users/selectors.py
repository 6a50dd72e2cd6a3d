"""Reads about people."""

import zoneinfo

from users.models import User


def user_time_zone(*, user: User) -> zoneinfo.ZoneInfo:
    """Where the user's days begin: their profile's IANA time zone, UTC without a profile."""
    profile = getattr(user, "profile", None)
    return zoneinfo.ZoneInfo(getattr(profile, "timezone", "") or "UTC")
