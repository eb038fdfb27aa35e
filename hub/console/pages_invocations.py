"""The invocation list (filters, cursor pages, bulk actions) and one invocation in full."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from hub.api.listing import STATUSES, is_invocation_id
from hub.console.curl import curl_command
from hub.console.guard import api_context
from hub.console.listing import event_summary, list_page, parse_filters
from hub.console.shown import attributes, data_of, event_of, pretty
from hub.console.timeline import timeline
from hub.status import ACTIVE, REDRIVABLE
from hub.store.insight import pending_deliveries

routes = web.RouteTableDef()
DELIVERY_STEPS = ("delivered", "delivery_failed")
SLOTS = ("on_success", "on_failure")


@routes.get("/invocations")
@aiohttp_jinja2.template("invocations.html")
async def invocations(request: web.Request) -> dict[str, Any]:
    hub = api_context(request).hub
    filters = parse_filters(request.query)
    page = await list_page(hub, filters)
    return {
        "filters": filters,
        "page": page,
        "rows": [(inv, event_summary(inv)) for inv in page.items],
        "functions": sorted(hub.functions),
        "statuses": STATUSES,
        "active": ACTIVE,
        "redrivable": REDRIVABLE,
    }


@routes.get("/invocations/{id}")
@aiohttp_jinja2.template("invocation.html")
async def invocation(request: web.Request) -> dict[str, Any]:
    ctx = api_context(request)
    inv_id = request.match_info["id"]
    inv = await ctx.hub.store.get(inv_id) if is_invocation_id(inv_id) else None
    if inv is None:
        raise web.HTTPNotFound(text=f"no invocation {inv_id!r}")
    event = event_of(inv.event_json)
    config = ctx.hub.functions.get(inv.function)
    return {
        "inv": inv,
        "attributes": pretty(attributes(event)),
        "data": data_of(event),
        "timeline": timeline(inv),
        "response": None if inv.response is None else pretty(inv.response),
        "destinations": {slot: _destination_type(getattr(config, slot, None)) for slot in SLOTS},
        "pending": await pending_deliveries(ctx.hub.store, inv.id),
        "delivery_steps": [t for t in inv.history if t.status in DELIVERY_STEPS],
        "curl": curl_command(str(request.url.origin()), inv.function, event, ctx.settings.token),
        "active": inv.status in ACTIVE,
        "redrivable": inv.status in REDRIVABLE,
    }


def _destination_type(destination: object) -> str | None:
    return None if destination is None else str(getattr(destination, "type", "?"))
