"""Functions, triggers, health probes, metrics and the API's own description."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from hub.api.jsonbody import json_response
from hub.api.redact import public_settings
from hub.api.state import context

routes = web.RouteTableDef()


@routes.get("/v1/functions")
async def list_functions(request: web.Request) -> web.Response:
    functions = context(request).hub.functions
    return json_response(
        {"items": [public_settings(name, functions[name]) for name in sorted(functions)]}
    )


@routes.get("/v1/triggers")
async def list_triggers(request: web.Request) -> web.Response:
    status = context(request).triggers_status
    return json_response(dict(status()) if status is not None else {})


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    ready = context(request).ready
    if ready is None or ready():
        return json_response({"status": "ready"})
    return json_response({"error": "not ready", "status": "not ready"}, status=503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    ctx = context(request)
    body = await ctx.metrics.scrape(ctx.hub, ctx.triggers_status)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get("/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=context(request).openapi, content_type="application/json")
