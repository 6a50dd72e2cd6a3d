"""Group commit: concurrent callers share one publish.

The first caller's item goes out at once; whatever is submitted while that publish is in
flight goes out together in the next one, one publish at a time. Every caller returns only
once the publish carrying its item succeeded, or fails with that publish's error, so an ack
that waits for it still means durable. Nobody waits for a timer: an idle process publishes
each item on its own.

One mechanism for both kinds of caller:
- `submit(item)` blocks a thread (a DRF view, the BLE gateway); the caller that finds no
  publish in flight leads: it publishes the group inline, then hands the lead to the first
  caller that queued meanwhile, so no caller publishes for others forever.
- `submit_async(item)` returns a future for a caller on an event loop (a device socket,
  the HTTP fast path); a drain task on the loop publishes group after group, so hundreds of
  waiting sockets hold no thread. A blocking `publish` runs in a worker thread from there.
Used for the cold-path hand-over to the broker (telemetry/coldpath.py) and for Redis
pub/sub broadcasts (core/channel_layers.py).
"""

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any


class _ThreadWaiter:
    __slots__ = ("wake", "lead", "error")

    def __init__(self):
        self.wake, self.lead, self.error = threading.Event(), False, None


def _future_settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


class GroupPublisher:
    def __init__(self, publish: Callable[[list[Any]], None] | Callable[[list[Any]], Awaitable[None]]):
        self._publish = publish
        self._publish_is_async = inspect.iscoroutinefunction(publish)
        self._lock = threading.Lock()
        self._pending: list[tuple[Any, _ThreadWaiter | asyncio.Future]] = []
        self._busy = False
        self._drain_loop: asyncio.AbstractEventLoop | None = None

    # --- callers ------------------------------------------------------------------------

    def submit(self, item: Any) -> None:
        """Publish `item` (with whatever else is waiting); return once that publish succeeded."""
        if self._publish_is_async:
            raise TypeError("A coroutine publish serves callers on an event loop: use submit_async().")
        waiter = _ThreadWaiter()
        with self._lock:
            self._pending.append((item, waiter))
            lead = not self._busy
            self._busy = True
        if not lead:
            waiter.wake.wait()
            if not waiter.lead:
                if waiter.error is not None:
                    raise waiter.error
                return
        carried = self._take()
        error = self._publish_blocking(carried)
        self._settle(carried, error, skip=waiter)
        self._lead_hand_over()
        if error is not None:
            raise error

    def submit_async(self, item: Any) -> asyncio.Future:
        """Queue `item`; the returned future completes once a publish carrying it succeeded."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:
            self._forget_a_dead_loop(loop)
            self._pending.append((item, future))
            lead = not self._busy
            self._busy = True
            if lead:
                self._drain_loop = loop
        if lead:
            loop.create_task(self._drain())
        return future

    # --- the one algorithm: take the group, publish it, settle every caller it carried ---

    def _take(self) -> list[tuple[Any, _ThreadWaiter | asyncio.Future]]:
        with self._lock:
            carried, self._pending = self._pending, []
        return carried

    def _publish_blocking(self, carried) -> BaseException | None:
        try:
            self._publish([item for item, _ in carried])
        except Exception as exc:  # every caller in the group gets the failure and acks nothing
            return exc
        return None

    async def _publish_awaited(self, carried) -> BaseException | None:
        items = [item for item, _ in carried]
        try:
            if self._publish_is_async:
                await self._publish(items)
            else:
                await asyncio.to_thread(self._publish, items)
        except Exception as exc:
            return exc
        return None

    @staticmethod
    def _settle(carried, error: BaseException | None, skip: _ThreadWaiter | None = None) -> None:
        running = asyncio._get_running_loop()
        for _, waiter in carried:
            if waiter is skip:
                continue
            if isinstance(waiter, _ThreadWaiter):
                waiter.error = error
                waiter.wake.set()
            elif waiter.get_loop() is running:
                _future_settle(waiter, error)
            elif not waiter.get_loop().is_closed():
                waiter.get_loop().call_soon_threadsafe(_future_settle, waiter, error)

    def _lead_hand_over(self) -> None:
        """After a thread's publish: the first caller queued meanwhile leads the next one."""
        with self._lock:
            if not self._pending:
                self._busy = False
                return
            _, successor = self._pending[0]
            if isinstance(successor, _ThreadWaiter):
                successor.lead = True
                successor.wake.set()
                return
            loop = self._drain_loop = successor.get_loop()
        loop.call_soon_threadsafe(lambda: loop.create_task(self._drain()))

    async def _drain(self) -> None:
        while True:
            with self._lock:
                carried, self._pending = self._pending, []
                if not carried:
                    self._busy, self._drain_loop = False, None
                    return
            self._settle(carried, await self._publish_awaited(carried))

    def _forget_a_dead_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        # Tests run one event loop per test: a drain left on a loop that stopped will never
        # run again, and whatever it held belonged to that loop's (gone) callers.
        dead = self._drain_loop
        if dead is not None and dead is not loop and (dead.is_closed() or not dead.is_running()):
            self._pending, self._busy, self._drain_loop = [], False, None
