"""What an operator steers: pause and resume a trigger or a function, and stop or redrive
every invocation a filter selects."""

from __future__ import annotations

from typing import Any, Protocol, get_args

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from hub.api.body import read_limited
from hub.api.bulk_filter import parse_bulk_filter
from hub.api.errors import ApiError
from hub.api.jsonbody import json_response
from hub.api.state import ApiContext, context
from hub.control.bulk import BulkResult, redrive_matching, stop_matching
from hub.engine import Hub
from hub.status import ACTIVE, REDRIVABLE, Status
from hub.store.bulk import Selection
from hub.store.pauses import PauseKind
from hub.timefmt import to_rfc3339

log = structlog.get_logger("hub.api")
routes = web.RouteTableDef()


class BulkAction(Protocol):
    async def __call__(
        self, hub: Hub, selection: Selection, *, dry_run: bool = False
    ) -> BulkResult: ...


def _bulk_route(done: str, allowed: frozenset[Status], act: BulkAction) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        ctx = context(request)
        body = await read_limited(request, ctx.settings.max_body_bytes)
        wanted = parse_bulk_filter(body, done, allowed)
        result = await act(ctx.hub, wanted.selection, dry_run=wanted.dry_run)
        return json_response(result.to_dict())

    return handler


def _pause_route(kind: PauseKind, action: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return await _set_paused(request, kind, paused=action == "pause")

    return handler


routes.post("/v1/invocations/stop")(_bulk_route("stopped", ACTIVE, stop_matching))
routes.post("/v1/invocations/redrive")(_bulk_route("redriven", REDRIVABLE, redrive_matching))
for _kind in get_args(PauseKind):
    for _action in ("pause", "resume"):
        routes.post(f"/v1/{_kind}s/{{name}}/{_action}")(_pause_route(_kind, _action))


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
