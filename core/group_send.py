"""Channel-layer group messages from sync code that must not wait for them.

Inside a server (a sync_to_async thread of Daphne) the send is handed to the server's own
loop. Elsewhere (a Celery worker) one daemon thread per process owns an event loop and
its lasting layer connection: async_to_sync would build a loop and a Redis connection per
call, tens of milliseconds each, paid by whoever called. Either way messages leave in the
order they were handed over.
"""

import asyncio
import logging
import os
import queue
import threading
from typing import Any

from asgiref.sync import SyncToAsync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
Messages = list[tuple[str, dict[str, Any]]]  # (group, message)


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server that ran this thread's caller (set by sync_to_async)."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


async def _send(messages: Messages) -> None:
    layer = get_channel_layer()
    for group, message in messages:
        await layer.group_send(group, message)


def _report_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("Group send failed", exc_info=future.exception())


class _SenderThread:
    def __init__(self):
        self._queue: queue.SimpleQueue[Messages] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = None

    def submit(self, messages: Messages) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():  # forked child
                self._queue, self._pid = queue.SimpleQueue(), os.getpid()
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name="group-send",
                                                daemon=True)
                self._thread.start()
        self._queue.put(messages)

    @staticmethod
    def _run(pending: queue.SimpleQueue) -> None:
        loop = asyncio.new_event_loop()
        while True:
            messages = pending.get()
            try:
                loop.run_until_complete(_send(messages))
            except Exception:
                logger.exception("Group send failed")


_sender = _SenderThread()


def group_send_soon(messages: Messages) -> None:
    loop = server_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(_send(messages), loop).add_done_callback(_report_failure)
        return
    _sender.submit(messages)
