"""Starts not yet written, so an attempt's start and outcome can be one UPDATE.

An attempt's start is queued without a waiter; a quick function's outcome is often queued
before the committer has run the start. Then both would land in the same transaction, one
UPDATE after the other on the same row: instead the start is dropped and the outcome's UPDATE
writes it too (attempts, started_at and the `running` history entry). Nothing can observe the
difference: the committer runs every queued write in order without yielding between them.

The writer may be a thread (the client-server backends): whether a start has run is decided
under a lock, once, by whichever comes first."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from hub.store import attempts
from hub.store.connection import Connection


@dataclass(slots=True)
class QueuedStart:
    inv_id: str
    params: dict[str, Any]
    ran: bool = field(default=False)  # its own write ran (and runs again if rolled back)
    folded: bool = field(default=False)  # the outcome's write took it over


class PendingStarts:
    def __init__(self) -> None:
        self._queued: dict[str, QueuedStart] = {}
        self._lock = threading.Lock()

    def queue(self, inv_id: str, **params: Any) -> QueuedStart:
        start = QueuedStart(inv_id, params)
        with self._lock:
            self._queued[inv_id] = start
        return start

    def run(self, start: QueuedStart, conn: Connection) -> None:
        """The start's own write, unless the outcome has taken it over. Run again after its
        transaction failed (the committer retries each write alone), it writes again: the
        outcome no longer carries a start that ran once."""
        with self._lock:
            if start.folded:
                return
            start.ran = True
            if self._queued.get(start.inv_id) is start:
                del self._queued[start.inv_id]
        attempts.start(conn, inv_id=start.inv_id, **start.params)

    def take(self, inv_id: str) -> dict[str, Any] | None:
        """The parameters of `inv_id`'s start if it has not been written yet: the caller's
        write now writes it. None if it was written (or there was none)."""
        with self._lock:
            start = self._queued.pop(inv_id, None)
            if start is None or start.ran:
                return None
            start.folded = True
            return start.params
