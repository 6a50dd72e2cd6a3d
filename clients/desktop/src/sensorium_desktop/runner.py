"""One asyncio loop in a background thread for the SDK; results come back on the Qt thread.

    runner.submit(api.blinks.stats(...), on_done=self.show_stats, on_error=self.show_error)

Callbacks run on the Qt (GUI) thread through a queued signal, so they may touch widgets.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal


class AsyncRunner(QObject):
    _deliver = pyqtSignal(object, object)

    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sensorium-sdk", daemon=True)
        self._thread.start()
        self._deliver.connect(self._call)

    def submit(self, coroutine: Coroutine, *, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> None:
        if not self.loop.is_running():  # shut down: nothing will run it
            coroutine.close()
            return
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)

        def finished(done) -> None:
            error = done.exception()
            if error is not None:
                if on_error is not None:
                    self._deliver.emit(on_error, error)
            elif on_done is not None:
                self._deliver.emit(on_done, done.result())

        future.add_done_callback(finished)

    def run(self, coroutine: Coroutine, timeout: float = 30) -> Any:
        """Block until the coroutine is done (startup and shutdown only)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @staticmethod
    def _call(callback, value) -> None:
        callback(value)

    def close(self) -> None:
        """Cancel what is still running (a sync, a stats query), then stop the loop."""
        async def cancel_the_rest() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(cancel_the_rest(), self.loop).result(10)
            except Exception:  # noqa: BLE001 - shutting down regardless
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
