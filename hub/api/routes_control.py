"""What an operator steers: pause and resume a trigger or a function, and stop or redrive
every invocation a filter selects."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from hub.api.body import read_limited
from hub.api.bulk_filter import parse_bulk_filter
from hub.api.errors import ApiError
from hub.api.jsonbody import json_response
from hub.api.state import ApiContext, context
from hub.control.bulk import redrive_matching, stop_matching
from hub.status import ACTIVE, REDRIVABLE
from hub.store.pauses import PauseKind
from hub.timefmt import to_rfc3339

log = structlog.get_logger("hub.api")
routes = web.RouteTableDef()


@routes.post("/v1/invocations/stop")
async def stop_matching_invocations(request: web.Request) -> web.Response:
    ctx = context(request)
    body = await read_limited(request, ctx.settings.max_body_bytes)
    wanted = parse_bulk_filter(body, "stopped", ACTIVE)
    result = await stop_matching(ctx.hub, wanted.selection, dry_run=wanted.dry_run)
    return json_response(result.to_dict())


@routes.post("/v1/invocations/redrive")
async def redrive_matching_invocations(request: web.Request) -> web.Response:
    ctx = context(request)
    body = await read_limited(request, ctx.settings.max_body_bytes)
    wanted = parse_bulk_filter(body, "redriven", REDRIVABLE)
    result = await redrive_matching(ctx.hub, wanted.selection, dry_run=wanted.dry_run)
    return json_response(result.to_dict())


@routes.post("/v1/functions/{name}/pause")
async def pause_function(request: web.Request) -> web.Response:
    return await _set_paused(request, "function", paused=True)


@routes.post("/v1/functions/{name}/resume")
async def resume_function(request: web.Request) -> web.Response:
    return await _set_paused(request, "function", paused=False)


@routes.post("/v1/triggers/{name}/pause")
async def pause_trigger(request: web.Request) -> web.Response:
    return await _set_paused(request, "trigger", paused=True)


@routes.post("/v1/triggers/{name}/resume")
async def resume_trigger(request: web.Request) -> web.Response:
    return await _set_paused(request, "trigger", paused=False)


async def _set_paused(request: web.Request, kind: PauseKind, *, paused: bool) -> web.Response:
    ctx = context(request)
    name = request.match_info["name"]
    book = ctx.hub.pauses
    # A pause outlives the removal of what it paused; resuming it must stay possible then, or
    # it would hold again, unseen, whatever is later added under that name.
    if paused or name not in book.view(kind):
        _known(ctx, kind, name)
    if paused:
        await book.pause(kind, name)
    else:
        await book.resume(kind, name)
    log.info(f"{kind} {'paused' if paused else 'resumed'} by request", name=name)
    return json_response(pause_state(ctx, kind, name))


def _known(ctx: ApiContext, kind: PauseKind, name: str) -> None:
    if kind == "function":
        if name not in ctx.hub.functions:
            raise ApiError(404, f"no function named {name!r}")
    elif ctx.trigger_config is None or ctx.trigger_config(name) is None:
        raise ApiError(404, f"no trigger named {name!r}")


def pause_state(ctx: ApiContext, kind: PauseKind, name: str) -> dict[str, Any]:
    """What a pause or resume answers: whether it is paused now, since when, and for a
    trigger the state it is in."""
    at = ctx.hub.pauses.view(kind).get(name)
    out: dict[str, Any] = {"name": name, "paused": at is not None, "paused_at": to_rfc3339(at)}
    if kind == "trigger" and ctx.triggers_status is not None:
        status = ctx.triggers_status().get(name)
        out["state"] = None if status is None else status.get("state")
    return out
