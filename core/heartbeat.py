"""Worker heartbeats in the shared cache: each worker records "I am alive" under its host
name (workers/heartbeat.py runs the thread that does it); /status reads them here."""

import time

from django.conf import settings
from django.core.cache import cache

WORKER_HEARTBEAT_KEY = "workers:heartbeat"


def worker_heartbeat_record(*, hostname: str, at: float | None = None) -> None:
    beats = cache.get(WORKER_HEARTBEAT_KEY) or {}
    beats[hostname] = at if at is not None else time.time()
    horizon = time.time() - settings.WORKER_HEARTBEAT_FORGET_S
    beats = {host: seen for host, seen in beats.items() if seen >= horizon}
    cache.set(WORKER_HEARTBEAT_KEY, beats, timeout=settings.WORKER_HEARTBEAT_FORGET_S)


def worker_heartbeat_forget(*, hostname: str) -> None:
    beats = cache.get(WORKER_HEARTBEAT_KEY) or {}
    if beats.pop(hostname, None) is not None:
        cache.set(WORKER_HEARTBEAT_KEY, beats, timeout=settings.WORKER_HEARTBEAT_FORGET_S)


def worker_heartbeats() -> dict[str, float]:
    """Seconds since each known worker's last heartbeat."""
    now = time.time()
    return {host: max(0.0, now - seen) for host, seen in (cache.get(WORKER_HEARTBEAT_KEY) or {}).items()}
