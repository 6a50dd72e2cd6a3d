"""The bounded queue between the radio and ingest, and the writer that drains it.

Notify callbacks put packets (sync, timestamped on arrival); past `queue_size` the oldest is
dropped and counted, so a slow ingest never grows memory. The writer decodes each packet in
its session, records it when a recorder is given, and hands readings to ingest in batches of
`batch_size`, or after `batch_interval` when fewer arrive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .link import _END, Ingest, ListenerSettings, _Connected, _Packet
from .pipeline import Counters
from .recording import Recorder

logger = logging.getLogger(__name__)


class PacketWriter:
    def __init__(self, *, settings: ListenerSettings, counters: Counters, ingest: Ingest,
                 recorder: Recorder | None, now: Callable[[], float]) -> None:
        self.settings = settings
        self.counters = counters
        self.readings_seen = asyncio.Event()  # set once the first readings were decoded
        self._ingest = ingest
        self._recorder = recorder
        self._now = now
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._accepting = True

    def put(self, item: _Packet | _Connected) -> None:
        if not self._accepting:
            self.counters.dropped += 1
            return
        if self._queue.qsize() >= self.settings.queue_size:
            self._queue.get_nowait()
            self.counters.dropped += 1
        self._queue.put_nowait(item)

    def close(self) -> None:
        """Accept no more packets; `run` flushes what it holds and returns."""
        self._accepting = False
        self._queue.put_nowait(_END)

    async def run(self) -> None:
        batch: list[dict] = []
        deadline = 0.0
        while True:
            timeout = max(0.0, deadline - self._now()) if batch else None
            try:
                item = await asyncio.wait_for(self._queue.get(), timeout)
            except TimeoutError:
                batch = await self._flush(batch)
                continue
            if item is _END:
                await self._flush(batch)
                return
            if isinstance(item, _Connected):
                if self._recorder is not None:
                    self._recorder.connect(target=item.session.stream.target, host_time=item.host_time, rssi=item.session.rssi)
                continue
            if self._recorder is not None:
                self._recorder.packet(address=item.address, characteristic=item.characteristic, host_time=item.host_time, data=item.data)
            readings = item.session.process(item.characteristic, item.host_time, item.data)
            if readings:
                self.readings_seen.set()
                if not batch:
                    deadline = self._now() + self.settings.batch_interval
                batch.extend(readings)
                if len(batch) >= self.settings.batch_size:
                    batch = await self._flush(batch)

    async def _flush(self, batch: list[dict]) -> list[dict]:
        if batch:
            try:
                rejected = await self._ingest(batch)
            except Exception:
                self.counters.ingest_failures += 1
                logger.exception("ingest failed on a batch of %d BLE readings", len(batch))
            else:
                self.counters.rejected += rejected or 0
        return []
