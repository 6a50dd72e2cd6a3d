import zoneinfo

from django.contrib.auth.models import AnonymousUser

from users.models import Profile, User
from users.selectors import user_time_zone
from users.services import profile_update


def test_time_zone_is_the_profiles(user):
    profile_update(profile=user.profile, timezone="Asia/Kolkata")
    assert user_time_zone(user=User.objects.get(pk=user.pk)) == zoneinfo.ZoneInfo("Asia/Kolkata")


def test_new_profiles_begin_their_days_in_utc(user):
    assert user_time_zone(user=user) == zoneinfo.ZoneInfo("UTC")


def test_without_a_profile_days_begin_in_utc(user):
    Profile.objects.filter(user=user).delete()
    assert user_time_zone(user=User.objects.get(pk=user.pk)) == zoneinfo.ZoneInfo("UTC")
    assert user_time_zone(user=AnonymousUser()) == zoneinfo.ZoneInfo("UTC")
