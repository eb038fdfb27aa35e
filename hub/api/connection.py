"""One API connection: aiohttp's request handler with a deadline for request headers, a
place in the open-connections count, and JSON answers to requests too malformed to route.

aiohttp's parser refuses bad requests (control characters in a header, lines over its
limits, unknown methods) before any application code runs, and by default answers them in
text/plain and logs a traceback. Here the answer is the API's JSON error and the log gets one
line, throttled, without the request's bytes (a header may hold a credential)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError, LineTooLong
from aiohttp.web_request import BaseRequest

from hub.api.errors import error_response
from hub.api.open_connections import OpenConnections
from hub.api.throttle import Throttle

log = structlog.get_logger("hub.api")


class ApiConnection(web.RequestHandler):
    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        connections: OpenConnections,
        header_timeout: float,
        refusals: Throttle,
        **kwargs: Any,
    ) -> None:
        # aiohttp closes a connection idle for keepalive_timeout after a response, also when
        # the next request's headers are half sent: the header deadline of every request
        # after the first. The first one's is armed in connection_made.
        super().__init__(manager, loop=loop, keepalive_timeout=header_timeout, **kwargs)
        self._connections = connections
        self._header_timeout = header_timeout
        self._refusals = refusals
        self._first_request_due: asyncio.TimerHandle | None = None
        self.streaming = False

    @property
    def busy(self) -> bool:
        # A stream of live updates is in progress for as long as the client keeps it open, yet
        # it is no work: counted busy, a few hundred of them would lock every request out.
        return self._request_in_progress and not self.streaming

    def close_now(self) -> None:
        self.force_close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._first_request_due = self._loop.call_later(
            self._header_timeout, self._close_if_no_request
        )
        self._connections.opened(self)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connections.closed(self)
        if self._first_request_due is not None:
            self._first_request_due.cancel()
            self._first_request_due = None
        super().connection_lost(exc)

    def _close_if_no_request(self) -> None:
        self._first_request_due = None
        # Counts requests whose headers were parsed (or refused) on this connection.
        if self._request_count == 0:
            self.force_close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("request failed", status=status, peer=request.remote, exc_info=exc)
            reason = "internal error; see the daemon log"
        else:
            reason = describe(exc)
            if (held := self._refusals.allow()) is not None:
                log.info(
                    "malformed request refused",
                    status=status,
                    error=reason,
                    peer=request.remote,
                    lines_held_back=held,
                )
        # Part of a response already went out: the connection cannot carry another one.
        if request.writer.output_size > 0:
            raise ConnectionError("a response was partly sent; cannot send the error")
        response = error_response(status, reason)
        response.force_close()
        return response


def describe(exc: BaseException | None) -> str:
    """What is wrong with a request aiohttp's parser refused, without echoing its bytes."""
    if isinstance(exc, BadHttpMethod):
        return "malformed request: unknown or invalid HTTP method"
    if isinstance(exc, LineTooLong):
        return "malformed request: the request line or a header is too long"
    if isinstance(exc, HttpProcessingError):
        # aiohttp's messages name the problem first and may then quote the offending bytes,
        # after a colon, in quotes or on the next lines: keep only the naming part.
        what = _QUOTED.split(exc.message or "", maxsplit=1)[0].strip()
        if what.isprintable() and what:
            return f"malformed request: {what}"
    return "malformed request: not valid HTTP/1.1"


@contextlib.contextmanager
def streaming(request: web.BaseRequest) -> Iterator[None]:
    """Around a long-lived response the client reopens by itself when it is closed (Server-Sent
    Events): its connection may be closed to make room, as an idle one would be."""
    connection = request.protocol
    if not isinstance(connection, ApiConnection):  # served by something else (a test server)
        yield
        return
    connection.streaming = True
    try:
        yield
    finally:
        connection.streaming = False


_QUOTED = re.compile(r"[:'\"\n]")
