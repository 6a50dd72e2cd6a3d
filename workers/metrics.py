"""Celery's own metrics, from its signals: tasks run, failed and retried, their durations, and
the readings the cold-path writer stored and how long each write took.

In a worker started with PROMETHEUS_MULTIPROC_DIR (the stack, the systemd units) these land
in the directory the web processes sum at /metrics, so one scrape shows the workers too.
"""

import time

from celery.signals import task_failure, task_postrun, task_prerun, task_retry
from prometheus_client import Counter, Histogram

from core.metrics import REGISTRY

READINGS_WRITE_TASK = "workers.tasks.readings.readings_write_batch"

TASKS = Counter(
    "sensorium_celery_tasks_total",
    "Celery tasks finished, by task and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
    registry=REGISTRY,
)
TASK_DURATION = Histogram(
    "sensorium_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
READINGS_WRITTEN = Counter(
    "sensorium_readings_written_total",
    "Readings the cold-path writer handed to the database, by kind (imu, metrics, blinks); "
    "a redelivered batch counts again.",
    ["kind"],
    registry=REGISTRY,
)
READINGS_WRITE_DURATION = Histogram(
    "sensorium_readings_write_duration_seconds",
    "Time to store one batch of readings (one write task, commit included).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)

_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, **_) -> None:
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id=None, task=None, retval=None, state=None, **_) -> None:
    began = _started.pop(task_id, None)
    if task is None:
        return
    if began is not None:
        elapsed = time.perf_counter() - began
        TASK_DURATION.labels(task.name).observe(elapsed)
        if task.name == READINGS_WRITE_TASK and state == "SUCCESS":
            READINGS_WRITE_DURATION.observe(elapsed)
    if state == "SUCCESS":
        TASKS.labels(task.name, "succeeded").inc()
        if task.name == READINGS_WRITE_TASK and isinstance(retval, dict):
            for kind, count in retval.items():
                if isinstance(count, int) and count:
                    READINGS_WRITTEN.labels(kind).inc(count)


@task_failure.connect
def _task_failed(sender=None, **_) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), "failed").inc()


@task_retry.connect
def _task_retried(sender=None, **_) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), "retried").inc()
