"""While the daemon drains for shutdown the API still answers probes and reads, but takes no
new work: requests that would change something get 503 with Retry-After."""

from __future__ import annotations

import math

from aiohttp import web
from aiohttp.typedefs import Handler

from hub.api.errors import ApiError
from hub.api.state import context

READ_ONLY = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def refuse_new_work(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in READ_ONLY and (left := draining_for(request)) is not None:
        raise ApiError(
            503,
            "the daemon is shutting down and takes no new work; retry later",
            headers={"Retry-After": str(left)},
        )
    return await handler(request)


def draining_for(request: web.Request) -> int | None:
    """Whole seconds left of the drain (at least 1, for Retry-After), or None when not
    draining."""
    draining = context(request).draining
    left = draining() if draining is not None else None
    return None if left is None else max(1, math.ceil(left))
