"""Group commit for the cold-path hand-over: concurrent callers share one broker publish.

Every caller still returns only once the publish that carries its batch is confirmed,
so an ack still means durable. Nobody waits for a timer: the first caller publishes at
once; whoever arrives while that publish is in flight is carried by the next one. Under
load (many device sockets in one process) hundreds of frames a second become tens of
publishes; an idle process publishes each batch as before.
"""

import threading
from collections.abc import Callable
from typing import Any


class _Ticket:
    __slots__ = ("item", "wake", "lead", "error")

    def __init__(self, item: Any):
        self.item, self.wake, self.lead, self.error = item, threading.Event(), False, None


class GroupPublisher:
    def __init__(self, publish: Callable[[list[Any]], None]):
        self._publish = publish
        self._lock = threading.Lock()
        self._pending: list[_Ticket] = []
        self._busy = False

    def submit(self, item: Any) -> None:
        """Publish `item` (with whatever else is waiting); return once that publish succeeded."""
        ticket = _Ticket(item)
        with self._lock:
            self._pending.append(ticket)
            lead = not self._busy
            self._busy = True
        if not lead:
            ticket.wake.wait()
            if not ticket.lead:
                if ticket.error is not None:
                    raise ticket.error
                return
        with self._lock:
            carried, self._pending = self._pending, []
        error = None
        try:
            self._publish([each.item for each in carried])
        except Exception as exc:  # every caller in the group gets the failure and acks nothing
            error = exc
        for each in carried:
            if each is not ticket:
                each.error = error
                each.wake.set()
        with self._lock:
            if self._pending:
                successor = self._pending[0]
                successor.lead = True
                successor.wake.set()
            else:
                self._busy = False
        if error is not None:
            raise error
