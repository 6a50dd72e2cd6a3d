"""Processes a fault test starts, kills and starts again (as the systemd units' Restart=always would)."""

import asyncio
import time
from contextlib import ExitStack

from tests.servers import Server, celery_worker


class Workers:
    """The Celery worker(s) of a test: `start` one, `kill` the newest (SIGKILL), all stopped at the end."""

    def __init__(self, **env: str):
        self.env, self._stack, self.started = env, ExitStack(), []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._stack.close()

    async def start(self, **options) -> Server:
        worker = await asyncio.to_thread(self._stack.enter_context, celery_worker(**{**self.env, **options}))
        self.started.append(worker)
        return worker

    @property
    def newest(self) -> Server:
        return self.started[-1]

    def outputs(self, tail: int | None = 2000) -> str:
        return "\n".join(worker.output()[-tail if tail else 0:] for worker in self.started)


async def log_shows(server: Server, text: str, *, after: int = 0, timeout: float = 30) -> int:
    """Wait until `text` occurs in the server's log past offset `after`; its offset."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = server.output().find(text, after)
        if found >= 0:
            return found
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{text!r} not in the log after {timeout}s:\n{server.output()[-2000:]}")
