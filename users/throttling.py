"""Throttle failed sign-ins per (client address, username), leaving successful ones alone."""

from django.core.cache import cache
from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class LoginFailureThrottle(SimpleRateThrottle):
    scope = "login_failures"

    def __init__(self):
        self.rate = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view=None) -> str:
        # Called before the body is validated, so it may be any JSON value (or unparsable).
        data = getattr(request, "data", None)
        username = str(data.get("username", "")).lower()[:150] if isinstance(data, dict) else ""
        return f"throttle:login:{self.get_ident(request)}:{username}"

    def failures(self, request) -> list[float]:
        now = self.timer()
        return [at for at in cache.get(self.get_cache_key(request), []) if at > now - self.duration]

    def blocked_for(self, request) -> float | None:
        history = self.failures(request)
        if len(history) < self.num_requests:
            return None
        return max(1.0, self.duration - (self.timer() - min(history)))

    def failure_record(self, request) -> None:
        history = self.failures(request)
        history.append(self.timer())
        cache.set(self.get_cache_key(request), history, self.duration)

    def reset(self, request) -> None:
        cache.delete(self.get_cache_key(request))


__all__ = ["LoginFailureThrottle", "settings"]
