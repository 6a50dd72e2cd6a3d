"""Dependency checks behind GET /status: each is up/down with its latency.

Required dependencies (database, cache, channel layer, broker) make /status answer 503
when one is down; the worker heartbeat is reported but optional, since the web keeps
accepting (and broadcasting) readings while workers restart. So is `queues`, with a broker:
a queue holding messages that nobody consumes (no worker started with that queue: the
telemetry queue left out of `-Q`, the gateway's `ble` worker not running) is degraded, named.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.heartbeat import worker_heartbeats, worker_queues_consumed
from core.storage import buckets_check

CHECK_TIMEOUT_S = 2.0


@dataclass
class DependencyState:
    name: str
    up: bool
    required: bool = True
    latency_ms: float | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"up": self.up, "required": self.required, "latency_ms": self.latency_ms,
                "detail": self.detail, **self.extra}


def _timed(name: str, probe: Callable[[], dict | None], *, required: bool = True) -> DependencyState:
    started = time.perf_counter()
    try:
        extra = probe() or {}
    except Exception as exc:  # a check reports failure; it never raises
        latency = round((time.perf_counter() - started) * 1000, 2)
        return DependencyState(name=name, up=False, required=required, latency_ms=latency,
                               detail=f"{type(exc).__name__}: {exc}"[:300])
    latency = round((time.perf_counter() - started) * 1000, 2)
    detail = extra.pop("detail", "")
    return DependencyState(name=name, up=True, required=required, latency_ms=latency, detail=detail, extra=extra)


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"detail": connection.vendor}


def _cache() -> dict:
    key = f"status:probe:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise RuntimeError("a value written to the cache could not be read back")
    finally:
        cache.delete(key)
    return {"detail": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


async def _channel_layer_round_trip() -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel("status.")
    await asyncio.wait_for(layer.send(channel, {"type": "status.probe"}), CHECK_TIMEOUT_S)
    message = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT_S)
    if message.get("type") != "status.probe":
        raise RuntimeError(f"unexpected message {message!r}")


def _channel_layer() -> dict:
    async_to_sync(_channel_layer_round_trip)()
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    return {"detail": backend}


def broker_queue_names() -> list[str]:
    routes = getattr(settings, "CELERY_TASK_ROUTES", {}) or {}
    names = {settings.CELERY_TASK_DEFAULT_QUEUE} | {route["queue"] for route in routes.values() if "queue" in route}
    names |= {queue.name for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ()}
    return sorted(names)


def _queues_declared() -> tuple[str, dict[str, tuple[int, int]]]:
    """The broker's transport, and queue → (messages, consumers) by a passive declare.
    A queue not declared yet holds nothing."""
    from kombu import Connection

    queues: dict[str, tuple[int, int]] = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
        channel = conn.channel()
        try:
            for queue in broker_queue_names():
                try:
                    declared = channel.queue_declare(queue=queue, passive=True)
                    queues[queue] = (declared.message_count, declared.consumer_count)
                except Exception:
                    queues[queue] = (0, 0)
                    channel = conn.channel()
        finally:
            channel.close()
        return conn.transport.driver_type, queues


def _broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"detail": "eager (tasks run in-process)"}
    transport, queues = _queues_declared()
    return {"detail": transport, "queue_depth": {queue: messages for queue, (messages, _) in queues.items()}}


def _queues() -> dict:
    transport, queues = _queues_declared()
    if transport == "amqp":
        consumers = {queue: count for queue, (_, count) in queues.items()}
    else:  # Redis (and the other virtual transports) count no consumers: the workers say what they consume
        consumers = worker_queues_consumed(within_s=settings.WORKER_HEARTBEAT_STALE_S)
    unconsumed = {queue: messages for queue, (messages, _) in queues.items()
                  if messages and not consumers.get(queue)}
    if unconsumed:
        waiting = ", ".join(f"{queue} ({messages} waiting)" for queue, messages in sorted(unconsumed.items()))
        raise RuntimeError(f"no consumer for queue {waiting}")
    return {"detail": f"every queue holding messages has a consumer ({transport})",
            "consumers": {queue: consumers.get(queue, 0) for queue in queues}}


def _worker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"detail": "eager (no separate worker)"}
    beats = worker_heartbeats()
    fresh = {host: age for host, age in beats.items() if age <= settings.WORKER_HEARTBEAT_STALE_S}
    if not fresh:
        seen = ", ".join(f"{host} {age:.0f}s ago" for host, age in beats.items()) or "none"
        raise RuntimeError(f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_STALE_S}s (seen: {seen})")
    return {"detail": f"{len(fresh)} worker(s) alive", "workers": {host: round(age, 1) for host, age in fresh.items()}}


def _storage() -> dict:
    return buckets_check()


# Checks the apps above add (the MQTT broker and bridge): name → (probe, required, applies).
_registered: dict[str, tuple[Callable[[], dict | None], bool, Callable[[], bool]]] = {}


def dependency_check_register(*, name: str, probe: Callable[[], dict | None], required: bool,
                              applies: Callable[[], bool] = lambda: True) -> None:
    """Report `probe` in /status beside the built-in dependencies (it raises when down),
    whenever `applies()` (e.g. only once the dependency is configured)."""
    _registered[name] = (probe, required, applies)


def dependencies_check() -> list[DependencyState]:
    return [
        _timed("database", _database),
        _timed("cache", _cache),
        _timed("channel_layer", _channel_layer),
        _timed("broker", _broker),
        _timed("worker", _worker, required=False),
        *([_timed("queues", _queues, required=False)] if settings.CELERY_BROKER_URL else []),
        # Archival is not needed to serve: S3 being down degrades exports, not the API.
        _timed("storage", _storage, required=False),
        *(_timed(name, probe, required=required) for name, (probe, required, applies) in _registered.items()
          if applies()),
    ]


def status_report() -> tuple[bool, dict[str, Any]]:
    """(healthy, body): healthy is False when a required dependency is down."""
    states = dependencies_check()
    down = [state.name for state in states if not state.up]
    healthy = all(state.up for state in states if state.required)
    body = {
        "status": "down" if not healthy else ("degraded" if down else "ok"),
        "down": down,
        "dependencies": {state.name: state.as_dict() for state in states},
    }
    return healthy, body
