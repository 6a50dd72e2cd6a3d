"""Sign-in forms of the browser and the admin, held by the same failure limits as the API."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from users.throttling import LoginAttempt, LoginRefused


class _LoginAttemptLimited:
    """Mixin for an AuthenticationForm: its password check takes a slot in the failure limits."""

    throttled = False

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()
        attempt = LoginAttempt(address=self.request.META.get("REMOTE_ADDR", ""), username=username)
        try:
            attempt.begin()
        except LoginRefused as refused:
            self.throttled = True
            raise forms.ValidationError(f"Too many failed sign-in attempts. Try again in {refused.wait} seconds.",
                                        code="throttled") from refused
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # No user: wrong credentials. A user: the right password of an account refused
            # for another reason (inactive, not staff), which is no guess.
            attempt.failed() if self.user_cache is None else attempt.abandoned()
            raise
        except BaseException:
            attempt.abandoned()
            raise
        attempt.succeeded()
        return cleaned


class SignInForm(_LoginAttemptLimited, AuthenticationForm):
    pass


class AdminSignInForm(_LoginAttemptLimited, AdminAuthenticationForm):
    pass
