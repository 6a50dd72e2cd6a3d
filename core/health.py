"""Dependency checks behind GET /status: each is up/down with its latency."""

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

CHECK_TIMEOUT_S = 2.0
WORKER_HEARTBEAT_KEY = "workers:heartbeat"


@dataclass
class DependencyState:
    name: str
    up: bool
    required: bool = True
    latency_ms: float | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _timed(name: str, probe: Callable[[], dict | None], *, required: bool = True) -> DependencyState:
    started = time.perf_counter()
    try:
        extra = probe() or {}
    except Exception as exc:  # a check reports failure; it never raises
        return DependencyState(name=name, up=False, required=required, detail=f"{type(exc).__name__}: {exc}"[:300])
    latency = round((time.perf_counter() - started) * 1000, 2)
    detail = extra.pop("detail", "")
    return DependencyState(name=name, up=True, required=required, latency_ms=latency, detail=detail, extra=extra)


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"detail": connection.vendor}


def _redis_ping() -> dict:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"detail": "redis"}


def _channel_layer() -> dict:
    if not settings.REDIS_URL:
        return {"detail": "in-memory (single process)"}
    return _redis_ping()


def broker_queue_names() -> list[str]:
    routes = getattr(settings, "CELERY_TASK_ROUTES", {}) or {}
    names = {"celery"} | {route["queue"] for route in routes.values() if "queue" in route}
    return sorted(names)


def _broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"detail": "eager (tasks run in-process)"}
    from kombu import Connection

    depth: dict[str, int] = {}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
        channel = conn.channel()
        try:
            for queue in broker_queue_names():
                try:
                    depth[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except Exception:
                    depth[queue] = 0  # not declared yet: nothing has been queued
                    channel = conn.channel()
        finally:
            channel.close()
    return {"detail": conn.transport_cls if isinstance(conn.transport_cls, str) else "broker", "queue_depth": depth}


def _worker_heartbeat() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"detail": "eager (no separate worker)"}
    beat = cache.get(WORKER_HEARTBEAT_KEY)
    if not beat:
        raise RuntimeError("no worker heartbeat seen")
    age = time.time() - beat["at"]
    if age > 60:
        raise RuntimeError(f"last worker heartbeat {age:.0f}s ago from {beat['hostname']}")
    return {"detail": beat["hostname"], "age_s": round(age, 1)}


def dependencies_check() -> list[DependencyState]:
    return [
        _timed("database", _database),
        _timed("channel_layer", _channel_layer),
        _timed("broker", _broker),
        _timed("worker", _worker_heartbeat, required=False),
    ]


def status_report() -> tuple[bool, dict[str, Any]]:
    states = dependencies_check()
    healthy = all(state.up for state in states if state.required)
    body = {
        "status": "ok" if healthy else "degraded",
        "dependencies": {state.name: {k: v for k, v in asdict(state).items() if k != "name"} for state in states},
    }
    return healthy, body
