"""Functions, triggers, health probes, metrics and the API's own description."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from hub.api.draining import draining_for
from hub.api.jsonbody import json_response
from hub.api.state import context
from hub.config.functions import FunctionConfig
from hub.config_view import config_view
from hub.timefmt import to_rfc3339

routes = web.RouteTableDef()


@routes.get("/v1/functions")
async def list_functions(request: web.Request) -> web.Response:
    hub = context(request).hub
    functions, paused = hub.functions, hub.pauses.functions
    return json_response(
        {
            "items": [
                _public_settings(name, functions[name], paused.get(name))
                for name in sorted(functions)
            ]
        }
    )


def _public_settings(name: str, config: FunctionConfig, paused_at: float | None) -> dict[str, Any]:
    return {
        "name": name,
        **config_view(config.model_dump(mode="json")),
        "paused": paused_at is not None,
        "paused_at": to_rfc3339(paused_at),
    }


@routes.get("/v1/triggers")
async def list_triggers(request: web.Request) -> web.Response:
    status = context(request).triggers_status
    return json_response(dict(status()) if status is not None else {})


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    ctx = context(request)
    health = ctx.hub.store.health
    if not health.writable:
        return json_response(
            {"error": f"the store cannot write: {health.reason}", "status": "not ready"},
            status=503,
        )
    if ctx.ready is None or ctx.ready():
        return json_response({"status": "ready"})
    if (left := draining_for(request)) is not None:
        return json_response(
            {"error": "draining for shutdown", "status": "draining"},
            status=503,
            headers={"Retry-After": str(left)},
        )
    return json_response({"error": "not ready", "status": "not ready"}, status=503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    ctx = context(request)
    body = await ctx.metrics.scrape(ctx.hub, ctx.triggers_status)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get("/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=context(request).openapi, content_type="application/json")
