"""The two moments a consumer of readings can subscribe to. The ingest path and the writer
call them; they know none of their consumers.

- `accepted`: on the hot path, right after validation and before storage, with the
  readings in their wire form (`readings=[ReadingIn, ...]`, `source="http"`...). The live
  broadcast subscribes here. Receivers must not block: they run before the batch is handed
  to the cold path. A coroutine twin (`async_receiver`) serves callers on an event loop.
- `written`: after the durable commit of a batch, with its typed rows and their sensors
  (`batch=ColdBatch`: imu, metrics, blinks, sensors, source). Rollups, exports and alarms
  subscribe here. It fires once per committed write; a batch the broker redelivers (a
  worker killed between commit and ack) is written again (storing nothing twice) and fires
  again, so receivers must be idempotent.

A receiver that raises is logged and counted, and the others still run. It can neither
stop a batch nor undo a commit: `accepted` receivers failing leave the batch on its way to
storage; `written` receivers run after the commit, so their failure is their own (a
receiver that must not miss a batch enqueues its own durable task).

Register in the consumer's own module or its AppConfig.ready(): `hooks.written.connect(fn)`.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter

from core.metrics import REGISTRY

logger = logging.getLogger(__name__)
HOOK_FAILURES = Counter("sensorium_reading_hook_failures_total",
                        "Receivers of the accepted/written reading hooks that raised, by hook and receiver.",
                        ["hook", "receiver"], registry=REGISTRY)


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._receivers: list[tuple[Callable[..., Any], Callable[..., Awaitable[Any]] | None]] = []

    def connect(self, receiver: Callable[..., Any], *,
                async_receiver: Callable[..., Awaitable[Any]] | None = None) -> None:
        """Subscribe `receiver(**payload)`; connecting the same receiver twice keeps one."""
        if all(existing is not receiver for existing, _ in self._receivers):
            self._receivers.append((receiver, async_receiver))

    def disconnect(self, receiver: Callable[..., Any]) -> None:
        self._receivers = [entry for entry in self._receivers if entry[0] is not receiver]

    def send(self, **payload: Any) -> None:
        for receiver, _ in self._receivers:
            try:
                receiver(**payload)
            except Exception:
                self._failed(receiver)

    async def asend(self, **payload: Any) -> None:
        for receiver, async_receiver in self._receivers:
            try:
                if async_receiver is not None:
                    await async_receiver(**payload)
                else:
                    receiver(**payload)
            except Exception:
                self._failed(receiver)

    def _failed(self, receiver: Callable[..., Any]) -> None:
        name = getattr(receiver, "__qualname__", repr(receiver))
        HOOK_FAILURES.labels(self.name, name).inc()
        logger.exception("A %r hook receiver failed: %s", self.name, name)


accepted = Hook("accepted")
written = Hook("written")
