"""Running out of file descriptors while accepting connections, said in one throttled line.

asyncio reports a failed accept() (EMFILE, ENFILE, ENOBUFS, ENOMEM) to the loop's exception
handler with a traceback, and Python 3.11 does so once per backlog slot and retry, tens of
thousands of times a second. The API keeps its connections under the open-files limit, so
this means something else holds the descriptors: say so once per interval, and close the
longest idle API connection to give accept() a descriptor back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

from hub.api.open_connections import OpenConnections
from hub.api.throttle import Throttle

log = structlog.get_logger("hub.api")
ACCEPT_FAILED = "socket.accept() out of system resource"
LOG_EVERY = 10.0

ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


class AcceptErrors:
    def __init__(self, connections: OpenConnections, log_every: float = LOG_EVERY) -> None:
        self._connections = connections
        self._throttle = Throttle(log_every)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: ExceptionHandler | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._previous = loop, loop.get_exception_handler()
        loop.set_exception_handler(self._handle)

    def uninstall(self) -> None:
        if self._loop is not None and self._loop.get_exception_handler() == self._handle:
            self._loop.set_exception_handler(self._previous)
        self._loop = None

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILED:
            if self._previous is not None:
                self._previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        shed = self._connections.shed_idle()
        if (held := self._throttle.allow()) is not None:
            log.warning(
                "api cannot accept connections: out of file descriptors; raise the open-files "
                "limit (ulimit -n, LimitNOFILE=)",
                error=str(context.get("exception")),
                open_connections=len(self._connections),
                closed_idle=shed,
                lines_held_back=held,
            )
