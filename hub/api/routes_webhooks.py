"""`POST /v1/hooks/{kind}/{trigger}`: events pushed by a sender (object-storage notifications,
Kubernetes audit webhooks), answered only after the durable commit."""

from __future__ import annotations

import structlog
from aiohttp import web

from hub.api.body import read_limited
from hub.api.errors import ApiError
from hub.api.ingest import admit
from hub.api.jsonbody import json_response
from hub.api.state import context
from hub.filters import compile_filter
from hub.plugins.webhooks import webhook

log = structlog.get_logger("hub.api")
routes = web.RouteTableDef()


@routes.post("/v1/hooks/{kind}/{trigger}")
async def receive(request: web.Request) -> web.Response:
    ctx = context(request)
    kind, name = request.match_info["kind"], request.match_info["trigger"]
    hook = webhook(kind)
    if hook is None:
        raise ApiError(404, f"no webhook kind {kind!r}")
    config = ctx.trigger_config(name) if ctx.trigger_config is not None else None
    if config is None or config.type != hook.trigger_type or not config.enabled:
        raise ApiError(404, f"no enabled {hook.trigger_type} trigger named {name!r}")
    body = await read_limited(request, ctx.settings.max_body_bytes)
    try:
        events = hook.parse(body, request.headers, config, name)
    except ValueError as exc:
        raise ApiError(400, f"not a valid {kind} notification: {exc}") from None
    # Every event, kept by the filter or not: whether a body is taken must not depend on it.
    admit(events, f"not a valid {kind} notification: ")
    matches = compile_filter(config.filter)
    kept = [event for event in events if matches(event)]
    submitted = await ctx.hub.submit_many([(f, kept) for f in config.function]) if kept else []
    ids = [s.id for per in submitted for s in per]
    log.info("webhook accepted", trigger=name, kind=kind, events=len(events), kept=len(kept))
    return json_response(
        {"received": len(events), "filtered": len(events) - len(kept), "invocations": ids}
    )
