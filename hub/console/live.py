"""Live updates: a Server-Sent Events stream per open page that says "something changed" at
most once per INTERVAL, however many invocations flow; the page then fetches itself again."""

from __future__ import annotations

import asyncio
import contextlib
import zlib

import orjson
from aiohttp import web

from hub.api.connection import streaming
from hub.console.guard import activity, api_context

routes = web.RouteTableDef()
INTERVAL = 1.0  # the coalescing window: one update per page per second at most
HEARTBEAT = 15.0  # a comment now and then keeps proxies from closing an idle stream
# Set on shutdown: the streams end at once rather than hold the server open until its timeout.
ENDING = web.AppKey("console_ending", asyncio.Event)


@routes.get("/live")
async def live(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    with streaming(request):
        await _stream(request, response)
    return response


async def _stream(request: web.Request, response: web.StreamResponse) -> None:
    ending = request.app[ENDING]
    last, quiet = None, 0.0
    # A stream closed to make room (or by the browser) ends here within INTERVAL, not at the
    # next write: a flood of streams leaves no loops behind.
    while not ending.is_set() and _open(request):
        state = _state(request)
        if state != last:
            await response.write(b"event: change\ndata: " + orjson.dumps({"v": state}) + b"\n\n")
            last, quiet = state, 0.0
        elif quiet >= HEARTBEAT:
            await response.write(b": idle\n\n")
            quiet = 0.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ending.wait(), INTERVAL)
        quiet += INTERVAL


def _open(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _state(request: web.Request) -> int:
    """A fingerprint of what the pages show that changes whenever they would."""
    ctx = api_context(request)
    triggers = ctx.triggers_status() if ctx.triggers_status is not None else {}
    summary = [
        (n, t.get("state"), t.get("events_in"), t.get("last_error")) for n, t in triggers.items()
    ]
    paused = sorted(ctx.hub.pauses.functions)
    return zlib.crc32(orjson.dumps([activity(request).version, summary, paused]))
