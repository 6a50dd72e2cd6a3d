"""The bridges' counters in /metrics: each bridge reports them into the shared cache every few
seconds and the web process's collector reads what the bridges reported recently (with the
embedded per-process cache the web cannot see them: use Redis)."""

import time
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

BRIDGES_KEY = "mqtt:bridges"
STALE_AFTER_S = 120.0


def _key(client_id: str) -> str:
    return f"mqtt:bridge:{client_id}"


def bridge_counters_publish(*, client_id: str, counters: dict[str, int]) -> None:
    cache.set(_key(client_id), {"at": time.time(), "counters": dict(counters)}, timeout=int(STALE_AFTER_S * 2))
    known = set(cache.get(BRIDGES_KEY) or ())
    if client_id not in known:
        cache.set(BRIDGES_KEY, sorted(known | {client_id}), timeout=None)


def bridge_counters_recent() -> dict[str, dict[str, Any]]:
    names = cache.get(BRIDGES_KEY) or []
    reports = cache.get_many([_key(name) for name in names])
    now = time.time()
    return {name: report["counters"] for name in names
            if (report := reports.get(_key(name))) and now - report["at"] <= STALE_AFTER_S}


class MqttBridgeCollector(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "sensorium_mqtt_bridge_messages", "MQTT messages a bridge handled, by outcome (acked, rejected_<field>, "
            "ignored, failed, not_durable; telemetry counts every telemetry message).", labels=["bridge", "outcome"])
        for bridge, counters in bridge_counters_recent().items():
            for outcome, value in sorted(counters.items()):
                family.add_metric([bridge, outcome], value)
        yield family
