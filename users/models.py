import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class User(AbstractUser):
    """The account model, custom from the first migration so it can grow."""


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}; use an IANA name such as Europe/Berlin.")


class Profile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=150, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    preferences = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class OidcIdentity(models.Model):
    """A user's account at an OpenID Connect provider: the provider's `sub` for them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oidc_identities")
    provider = models.CharField(max_length=40)
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="oidc_identity_unique_subject"),
            models.UniqueConstraint(fields=["user", "provider"], name="oidc_identity_one_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} → {self.user}"
