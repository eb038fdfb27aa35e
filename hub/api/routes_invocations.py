"""Invoking functions asynchronously and managing the invocations ("task mode")."""

from __future__ import annotations

import structlog
from aiohttp import web

from hub.api.body import read_limited
from hub.api.errors import ApiError
from hub.api.ingest import build_event
from hub.api.jsonbody import json_response
from hub.api.listing import is_invocation_id, parse_list_query
from hub.api.schedule import parse_schedule
from hub.api.state import context
from hub.errors import NotFoundError
from hub.telemetry.carriers import adopt_header

log = structlog.get_logger("hub.api")
routes = web.RouteTableDef()


@routes.post("/v1/functions/{name}/invocations")
async def invoke(request: web.Request) -> web.Response:
    ctx = context(request)
    name = request.match_info["name"]
    if name not in ctx.hub.functions:
        raise ApiError(404, f"no function named {name!r}")
    schedule = parse_schedule(request.headers)
    body = await read_limited(request, ctx.settings.max_body_bytes)
    wire = build_event(name, request.headers, request.content_type.lower(), body)
    if ctx.hub.telemetry is not None:
        wire = adopt_header(wire, request.headers)
    try:
        [submitted] = await ctx.hub.submit(
            name, [wire], delay=schedule.delay, not_before=schedule.not_before, source="api"
        )
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    location = f"/v1/invocations/{submitted.id}"
    if not submitted.created:
        raise ApiError(
            409,
            "an invocation with this idempotency key already exists",
            headers={"Location": location},
            id=submitted.id,
        )
    log.info("invocation accepted", function=name, invocation=submitted.id, event_id=wire.event.id)
    # Answered only now, after the durable commit: a 202 is a promise the hub keeps.
    return json_response(
        {"id": submitted.id, "status": "queued"}, status=202, headers={"Location": location}
    )


@routes.get("/v1/invocations")
async def list_invocations(request: web.Request) -> web.Response:
    page = await context(request).hub.query(parse_list_query(request.query))
    return json_response(
        {"items": [inv.to_dict() for inv in page.items], "next_cursor": page.next_cursor}
    )


# Not the bulk actions' paths (hub/api/routes_control.py), which take no GET.
@routes.get("/v1/invocations/{id:(?!(?:stop|redrive)$)[^{}/]+}")
async def get_invocation(request: web.Request) -> web.Response:
    inv = await context(request).hub.get(_invocation_id(request))
    return json_response(inv.to_dict())


@routes.post("/v1/invocations/{id}/stop")
async def stop_invocation(request: web.Request) -> web.Response:
    inv = await context(request).hub.stop(_invocation_id(request))
    log.info("invocation stopped by request", invocation=inv.id, function=inv.function)
    return json_response(inv.to_dict())


@routes.post("/v1/invocations/{id}/redrive")
async def redrive_invocation(request: web.Request) -> web.Response:
    inv = await context(request).hub.redrive(_invocation_id(request))
    log.info("invocation redriven by request", invocation=inv.id, function=inv.function)
    return json_response(inv.to_dict())


def _invocation_id(request: web.Request) -> str:
    invocation_id = request.match_info["id"]
    # Not the shape of an id: certainly unknown, and no need to ask the store.
    if not is_invocation_id(invocation_id):
        raise NotFoundError(f"no invocation {invocation_id!r}")
    return invocation_id
