"""Device credential generations: how every web process learns at once that a token changed.

Processes keep token → sensor in memory for a while (transports.devices.DeviceTokenCache).
Whatever changes what a token may do (rotation, deletion, a status or owner change) writes a
new generation for that token (keyed by its hash) into the shared cache (Redis with REDIS_URL)
once the change is committed. A process remembers the generation it read *before* looking the
token up in the database and trusts its memory only while the shared value is still the same:
one Redis GET per request, no database. Read before the lookup, a change committed meanwhile
can only make the remembered generation older, never newer, so it is always noticed. If the
shared cache cannot be read, the token is looked up again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from sensors.realtime import device_channel_send

logger = logging.getLogger(__name__)

UNKNOWN = object()  # a generation that equals nothing: the shared cache could not be read


def _key(token_hash: str) -> str:
    return f"device-credentials:{token_hash}"


def credentials_changed(*, token_hashes: list[str], revoked_channels: list[str] = ()) -> None:
    """Invalidate these tokens in every process's memory once the current transaction commits
    (before it, a process could read the old row again and remember it as new), and close the
    device sockets in `revoked_channels` (authenticated with a token that no longer holds)."""
    def bump():
        generation = time.time_ns()
        cache.set_many({_key(token_hash): generation for token_hash in token_hashes if token_hash}, timeout=None)
        for channel in filter(None, revoked_channels):
            try:
                device_channel_send(channel=channel, message={"type": "device.revoked"})
            except Exception:  # the socket then lives until it disconnects; the token is refused anyway
                logger.warning("could not close the device socket %s", channel, exc_info=True)

    transaction.on_commit(bump)


_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_redis_keys: dict[str, str] = {}  # the cache's full key, built once (cache.make_key costs more than the GET)


def _redis_client():
    # redis.asyncio connections belong to the event loop that opened them: one client per loop.
    import redis.asyncio

    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    return client


async def credentials_generation(*, token_hash: str):
    """The token's current credential generation (None when it never changed), or UNKNOWN."""
    if not settings.REDIS_URL:
        return cache.get(_key(token_hash))  # the in-process cache: a dict lookup, nothing to wait for
    import redis.exceptions

    if "prefix" not in _redis_keys:
        _redis_keys["prefix"] = cache.make_and_validate_key(_key(""))
    try:
        # Django's Redis cache stores integers as plain numbers, so a raw GET reads them.
        return await _redis_client().get(_redis_keys["prefix"] + token_hash)
    except (redis.exceptions.RedisError, OSError) as error:
        logger.warning("could not read a device credential generation: %r", error)
        return UNKNOWN
