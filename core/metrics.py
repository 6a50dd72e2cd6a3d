"""Prometheus metrics; apps add their own to REGISTRY.

One process (`make run`, tests): REGISTRY's samples are what /metrics serves. Several
processes (the stack and the systemd units set PROMETHEUS_MULTIPROC_DIR): every process,
Daphne and Celery alike, writes its samples to files in that directory, and one scrape of
/metrics on any web process sums them over all of them (prometheus_client's multiprocess
mode). Custom collectors registered on REGISTRY (the BLE gateway's state) still describe
the answering process alone; CPU and memory are left out there, as they would be one random
process's.
"""

import os
import socket

from prometheus_client import (CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector,
                               generate_latest, multiprocess, values)
from prometheus_client.metrics import MetricWrapperBase

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

if MULTIPROCESS_DIR:
    # Files are named by process id; containers sharing the directory (compose.yaml) all have
    # a pid 1, so the host name goes in too ('_' separates the file name's parts).
    _HOST = socket.gethostname().replace("_", "-")
    values.ValueClass = values.MultiProcessValue(lambda: f"{_HOST}-{os.getpid()}")


class _Registry(CollectorRegistry):
    """Keeps aside the custom collectors registered on it: in multiprocess mode they are
    served from this process, while the metrics proper come summed from the directory."""

    def __init__(self):
        super().__init__(auto_describe=True)
        self.custom = CollectorRegistry(auto_describe=True)

    def register(self, collector) -> None:
        super().register(collector)
        if not isinstance(collector, (MetricWrapperBase, ProcessCollector, PlatformCollector)):
            self.custom.register(collector)


REGISTRY = _Registry()
if not MULTIPROCESS_DIR:
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)


def metrics_exposition() -> bytes:
    """The text one scrape of /metrics gets."""
    if not MULTIPROCESS_DIR:
        return generate_latest(REGISTRY)
    summed = CollectorRegistry()
    multiprocess.MultiProcessCollector(summed, path=MULTIPROCESS_DIR)
    return generate_latest(summed) + generate_latest(REGISTRY.custom)


HTTP_REQUESTS = Counter(
    "sensorium_http_requests_total",
    "HTTP requests handled, by method, route and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "sensorium_http_request_duration_seconds",
    "Time to produce an HTTP response, by method and route.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
