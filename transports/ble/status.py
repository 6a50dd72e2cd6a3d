"""BLE gateway counters shared through the cache, so /metrics in the web process can show them.

`ble_listen` runs in its own process; it publishes its counters every few seconds and the
collector registered on the /metrics registry reads whatever gateways reported recently.
With the embedded (per-process memory) cache the web process cannot see them: use Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from core.metrics import REGISTRY

logger = logging.getLogger(__name__)

GATEWAYS_KEY = "ble:gateways"
STALE_AFTER = 120.0  # seconds without a report before a gateway disappears from /metrics

_GAUGES = {"connected": "BLE devices currently connected."}
_COUNTERS = {
    "packets": "BLE notifications and reads received.",
    "decoded": "Readings decoded from BLE packets.",
    "undecodable": "BLE packets that did not decode.",
    "dropped": "BLE packets dropped because the queue was full (oldest first).",
    "gaps": "Gaps detected in BLE sequence numbers or device timestamps.",
    "reconnects": "BLE reconnection attempts.",
    "stalls": "BLE connections dropped for silence.",
    "scanner_restarts": "BLE scanner restarts by the watchdog.",
    "ingest_failures": "Batches of BLE readings the ingest function failed on.",
    "rejected": "BLE readings rejected by ingest validation.",
}


def _key(gateway: str) -> str:
    return f"ble:gateway:{gateway}"


def gateway_counters_publish(*, gateway: str, counters: dict[str, Any]) -> None:
    """Report a gateway's counters: the names above, plus `gaps_by_sensor` {sensor id: gaps}."""
    cache.set(_key(gateway), {"at": time.time(), "counters": counters}, timeout=int(STALE_AFTER * 2))
    known = set(cache.get(GATEWAYS_KEY) or ())
    if gateway not in known:
        cache.set(GATEWAYS_KEY, sorted(known | {gateway}), timeout=None)


def gateway_counters_recent() -> dict[str, dict[str, Any]]:
    """Counters of every gateway that reported within STALE_AFTER seconds."""
    names = cache.get(GATEWAYS_KEY) or []
    reports = cache.get_many([_key(name) for name in names])
    now = time.time()
    return {
        name: report["counters"]
        for name in names
        if (report := reports.get(_key(name))) and now - report["at"] <= STALE_AFTER
    }


class BleGatewayCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        # Explicit so that registering never touches the cache.
        yield from self._families({})

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            gateways = gateway_counters_recent()
        except Exception:  # the cache being down must not break /metrics
            logger.warning("cannot read BLE gateway counters from the cache", exc_info=True)
            gateways = {}
        yield from self._families(gateways)

    @staticmethod
    def _families(gateways: dict[str, dict[str, Any]]) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        for name, help_text in _GAUGES.items():
            family = GaugeMetricFamily(f"sensorium_ble_{name}", help_text, labels=["gateway"])
            for gateway, counters in gateways.items():
                family.add_metric([gateway], counters.get(name, 0))
            yield family
        for name, help_text in _COUNTERS.items():
            family = CounterMetricFamily(f"sensorium_ble_{name}", help_text, labels=["gateway"])
            for gateway, counters in gateways.items():
                family.add_metric([gateway], counters.get(name, 0))
            yield family
        family = CounterMetricFamily("sensorium_ble_sensor_gaps", "Gaps detected in one sensor's BLE stream.",
                                     labels=["gateway", "sensor"])
        for gateway, counters in gateways.items():
            for sensor_id, gaps in counters.get("gaps_by_sensor", {}).items():
                family.add_metric([gateway, sensor_id], gaps)
        yield family


def gateway_collector_register() -> None:
    """Expose the gateways' counters on /metrics (once per process)."""
    REGISTRY.register(BleGatewayCollector())
