"""Worker heartbeat: every worker writes "I am alive" into the shared cache (core/heartbeat.py);
/status reads it.

A thread started on `worker_ready` rewrites this worker's entry (with the queues it consumes
at that moment: `-Q`, and any `add_consumer` / `cancel_consumer` since) every
WORKER_HEARTBEAT_INTERVAL_S until `worker_shutdown`. It does not depend on Celery's
event heartbeats, which `--without-heartbeat` turns off.
"""

import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

from core.heartbeat import worker_heartbeat_forget, worker_heartbeat_record

_stop = threading.Event()


def _queues_consumed(consumer) -> list[str]:
    task_consumer = getattr(consumer, "task_consumer", None)
    if task_consumer is not None:
        return [queue.name for queue in task_consumer.queues]
    return list(consumer.app.amqp.queues.consume_from)


def _beat_until_stopped(consumer, hostname: str) -> None:
    while not _stop.is_set():
        try:
            worker_heartbeat_record(hostname=hostname, queues=_queues_consumed(consumer))
        except Exception:  # the cache being down must not kill the worker; /status shows it
            pass
        _stop.wait(settings.WORKER_HEARTBEAT_INTERVAL_S)


@worker_ready.connect
def heartbeat_start(sender, **kwargs) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    _stop.clear()
    threading.Thread(target=_beat_until_stopped, args=(sender, hostname), name="sensorium-heartbeat",
                     daemon=True).start()


@worker_shutdown.connect
def heartbeat_stop(sender, **kwargs) -> None:
    _stop.set()
    hostname = getattr(sender, "hostname", None)
    if hostname:
        try:
            worker_heartbeat_forget(hostname=hostname)
        except Exception:
            pass
