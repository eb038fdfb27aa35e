"""The API's open connections, kept under a limit that fits the process's open-files limit.

Idle clients (connected, sending nothing, or trickling their headers) must not lock real
ones out: past the limit, the connection that has waited longest without a request in
progress is closed to make room. Only when every connection is busy with a request does the
newcomer get closed instead."""

from __future__ import annotations

import resource
from typing import Protocol

import structlog

from hub.api.throttle import Throttle

log = structlog.get_logger("hub.api")

# File descriptors left for everything else: the store, triggers, log files, and the sockets
# the event loop accepts in one go (up to the listen backlog) before their connections are
# counted here.
RESERVED_FDS = 256
MIN_CONNECTIONS = 16
LOG_EVERY = 10.0


class Connection(Protocol):
    @property
    def busy(self) -> bool:
        """A request is being handled (read, run or answered)."""
        ...

    def close_now(self) -> None: ...


def fitting_limit(wanted: int) -> int:
    """`wanted`, lowered so that the connections fit the open-files limit (`ulimit -n`)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(MIN_CONNECTIONS, min(wanted, soft - RESERVED_FDS))


class OpenConnections:
    def __init__(self, limit: int, log_every: float = LOG_EVERY) -> None:
        self.limit = limit
        self._open: dict[Connection, None] = {}  # insertion order: oldest first
        self._full = Throttle(log_every)
        self._closed_for_room = 0

    def __len__(self) -> int:
        return len(self._open)

    def opened(self, conn: Connection) -> None:
        self._open[conn] = None
        if len(self._open) > self.limit:
            # The newcomer is idle too and the newest, so it is picked only when it is the
            # one idle connection.
            victim = next((c for c in self._open if not c.busy), conn)
            self._close(victim)
            self._closed_for_room += 1
            if (held := self._full.allow()) is not None:
                log.warning(
                    "api connection limit reached; closing the longest idle connections",
                    limit=self.limit,
                    closed=self._closed_for_room,
                    lines_held_back=held,
                )
                self._closed_for_room = 0

    def closed(self, conn: Connection) -> None:
        self._open.pop(conn, None)

    def shed_idle(self) -> bool:
        """Close the longest idle connection, to free a file descriptor; False if none is."""
        victim = next((c for c in self._open if not c.busy), None)
        if victim is None:
            return False
        self._close(victim)
        return True

    def _close(self, conn: Connection) -> None:
        self._open.pop(conn, None)
        conn.close_now()
