"""Worker heartbeats in the shared cache: each worker records "I am alive", and the queues it
consumes, under its host name (workers/heartbeat.py runs the thread that does it); /status
reads them here. A Redis broker cannot say how many consumers a queue has, so /status learns
it from the queues the live workers name."""

import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache

WORKER_HEARTBEAT_KEY = "workers:heartbeat"


def _seen_at(beat: Any) -> float:
    return beat["at"] if isinstance(beat, dict) else beat  # a bare time: written before queues were


def worker_heartbeat_record(*, hostname: str, queues: Iterable[str] = (), at: float | None = None) -> None:
    beats = cache.get(WORKER_HEARTBEAT_KEY) or {}
    beats[hostname] = {"at": at if at is not None else time.time(), "queues": sorted(queues)}
    horizon = time.time() - settings.WORKER_HEARTBEAT_FORGET_S
    beats = {host: beat for host, beat in beats.items() if _seen_at(beat) >= horizon}
    cache.set(WORKER_HEARTBEAT_KEY, beats, timeout=settings.WORKER_HEARTBEAT_FORGET_S)


def worker_heartbeat_forget(*, hostname: str) -> None:
    beats = cache.get(WORKER_HEARTBEAT_KEY) or {}
    if beats.pop(hostname, None) is not None:
        cache.set(WORKER_HEARTBEAT_KEY, beats, timeout=settings.WORKER_HEARTBEAT_FORGET_S)


def worker_heartbeats() -> dict[str, float]:
    """Seconds since each known worker's last heartbeat."""
    now = time.time()
    return {host: max(0.0, now - _seen_at(beat)) for host, beat in (cache.get(WORKER_HEARTBEAT_KEY) or {}).items()}


def worker_queues_consumed(*, within_s: float) -> dict[str, int]:
    """Queue → how many workers with a heartbeat in the last `within_s` seconds consume it."""
    horizon = time.time() - within_s
    consumers: dict[str, int] = {}
    for beat in (cache.get(WORKER_HEARTBEAT_KEY) or {}).values():
        if isinstance(beat, dict) and beat["at"] >= horizon:
            for queue in beat["queues"]:
                consumers[queue] = consumers.get(queue, 0) + 1
    return consumers
