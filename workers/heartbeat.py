"""Worker heartbeat: every worker writes "I am alive" into the shared cache; /status reads it.

A thread started on `worker_ready` rewrites this worker's entry every
WORKER_HEARTBEAT_INTERVAL_S until `worker_shutdown`. It does not depend on Celery's
event heartbeats, which `--without-heartbeat` turns off.
"""

import threading
import time

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.core.cache import cache

WORKER_HEARTBEAT_KEY = "workers:heartbeat"

_stop = threading.Event()


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


def _beat_until_stopped(hostname: str) -> None:
    while not _stop.is_set():
        try:
            worker_heartbeat_record(hostname=hostname)
        except Exception:  # the cache being down must not kill the worker; /status shows it
            pass
        _stop.wait(settings.WORKER_HEARTBEAT_INTERVAL_S)


@worker_ready.connect
def heartbeat_start(sender, **kwargs) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    _stop.clear()
    threading.Thread(target=_beat_until_stopped, args=(hostname,), name="sensorium-heartbeat", daemon=True).start()


@worker_shutdown.connect
def heartbeat_stop(sender, **kwargs) -> None:
    _stop.set()
    hostname = getattr(sender, "hostname", None)
    if hostname:
        try:
            worker_heartbeat_forget(hostname=hostname)
        except Exception:
            pass
