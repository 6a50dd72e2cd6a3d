"""Group commit on an event loop: concurrent callers share one publish.

The first caller's item goes out at once; whatever is submitted while that publish is in
flight goes out together in the next, one publish at a time per loop. Callers wait on
futures, not on threads, so a process with hundreds of sockets is not capped by the size
of its thread pool, and each still learns only once the publish carrying its item
succeeded (or fails with that publish's error). Used for the cold-path hand-over to the
broker (telemetry/ingest.py) and for Redis pub/sub broadcasts (core/channel_layers.py).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class AsyncGroupPublisher:
    def __init__(self, publish: Callable[[list[Any]], Awaitable[None]]):
        self._publish = publish
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[Any, asyncio.Future]] = []
        self._drainer: asyncio.Task | None = None

    def submit(self, item: Any) -> asyncio.Future:
        """Queue `item`; the returned future completes once a publish carrying it succeeded."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (tests run one per test): state of a dead loop is void
            self._loop, self._pending, self._drainer = loop, [], None
        future = loop.create_future()
        self._pending.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = loop.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        while self._pending:
            carried, self._pending = self._pending, []
            try:
                await self._publish([item for item, _ in carried])
            except Exception as exc:  # every caller in the group gets the failure
                for _, future in carried:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in carried:
                    if not future.done():
                        future.set_result(None)
