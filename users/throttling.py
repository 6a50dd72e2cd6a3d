"""Limit failed sign-ins per (client address, username) and per address across usernames.

Every attempt takes a slot in both counters *before* the password is checked, with the
cache's atomic `add` + `incr` (Redis INCR under the Redis cache): counting only after a
failure, or by read-modify-write, lets concurrent guesses all pass a check made before any
of them failed. The slot is given back unless the password check failed, so the counters
hold failures only; a successful sign-in also clears that username's failures from that
address. A window opens at its first failure and lasts its rate's period; until it ends,
even the right password is refused with 429 and Retry-After.

The address is the connection's (REMOTE_ADDR), never a client-supplied X-Forwarded-For:
behind a proxy, run Daphne with --proxy-headers and let the proxy overwrite that header.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from prometheus_client import Counter

from core.metrics import REGISTRY

logger = logging.getLogger(__name__)

LOGIN_FAILURES = Counter(
    "sensorium_login_failures_total",
    "Sign-ins that reached the password check and failed.",
    registry=REGISTRY,
)
LOGIN_REFUSALS = Counter(
    "sensorium_login_refusals_total",
    "Sign-ins refused before the password check, by the limit that refused them.",
    ["limit"],
    registry=REGISTRY,
)
# A window's counter outlives its start marker, so an INCR never lands on a key that just
# expired (the Redis cache's incr is EXISTS + INCR: a key recreated there has no expiry).
_COUNTER_TTL_FACTOR = 2
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """`5/min` → (5, 60): DRF's rate syntax (s, sec, m, min, h, hour, d, day)."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


class LoginRefused(Exception):
    def __init__(self, wait: int):
        super().__init__(f"Too many failed sign-in attempts; retry in {wait} s.")
        self.wait = wait


@dataclass(frozen=True)
class _Window:
    limit_name: str
    key: str
    limit: int
    seconds: int

    @property
    def since_key(self) -> str:
        return f"{self.key}:since"

    def take(self, now: float) -> tuple[str, int, float]:
        """Count one attempt; returns (counter key, attempts in the window, window start)."""
        cache.add(self.since_key, now, self.seconds)
        since = cache.get(self.since_key, now)
        counter = f"{self.key}:{int(since * 1000)}"
        for _ in range(3):
            cache.add(counter, 0, self.seconds * _COUNTER_TTL_FACTOR)
            try:
                return counter, cache.incr(counter), since
            except ValueError:  # the counter vanished between add and incr (cache cleared)
                continue
        return counter, 1, since

    @staticmethod
    def give_back(counter: str) -> None:
        try:
            cache.decr(counter)
        except ValueError:  # already expired: nothing left to give back
            pass

    def clear(self) -> None:
        cache.delete(self.since_key)


def _digest(text: str) -> str:
    # Fixed-length, cache-safe keys that do not spell out the username.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class LoginAttempt:
    """One sign-in attempt's slots in the failure counters: `begin`, then exactly one of
    `failed` (wrong credentials), `succeeded` or `abandoned` (anything else, e.g. a 400)."""

    def __init__(self, *, address: str, username: str):
        address = address or "unknown"
        self._address = address
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        user_count, user_seconds = rate_parse(rates["login_failures"])
        address_count, address_seconds = rate_parse(rates["login_failures_per_address"])
        self._user_window = _Window("address_username", f"login-failures:{_digest(address)}:{_digest(username.lower())}",
                                    user_count, user_seconds)
        self._windows = (self._user_window,
                         _Window("address", f"login-failures:{_digest(address)}", address_count, address_seconds))
        self._counters: list[str] = []

    def begin(self) -> "LoginAttempt":
        """Take the slots, or raise LoginRefused (giving them back) when a limit is reached."""
        now = time.time()
        for window in self._windows:
            counter, attempts, since = window.take(now)
            self._counters.append(counter)
            if attempts > window.limit:
                self.abandoned()
                LOGIN_REFUSALS.labels(limit=window.limit_name).inc()
                # Never the username: people type passwords into that field.
                logger.warning("sign-in refused: %s failure limit reached", window.limit_name,
                               extra={"client_address": self._address})
                raise LoginRefused(wait=max(1, math.ceil(since + window.seconds - now)))
        return self

    def failed(self) -> None:
        self._counters = []
        LOGIN_FAILURES.inc()

    def succeeded(self) -> None:
        self.abandoned()
        self._user_window.clear()

    def abandoned(self) -> None:
        for counter in self._counters:
            _Window.give_back(counter)
        self._counters = []
