"""Triggers (state, counters, lag, position, a timer's next fire times) and functions
(settings with secrets masked, concurrency in use, success rate, run times, failures)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from hub.config_view import config_view
from hub.console.activity import percentile
from hub.console.fire_times import next_fire_times
from hub.console.guard import activity, api_context
from hub.console.shown import pretty
from hub.store.insight import active_by_function

routes = web.RouteTableDef()


@routes.get("/triggers")
@aiohttp_jinja2.template("triggers.html")
async def triggers(request: web.Request) -> dict[str, Any]:
    ctx = api_context(request)
    status = dict(ctx.triggers_status()) if ctx.triggers_status is not None else {}
    lookup = ctx.trigger_config
    rows = []
    for name, state in status.items():
        config = lookup(name) if lookup is not None else None
        rows.append(
            {
                "name": name,
                "status": state,
                "detail": pretty(state["detail"]) if state.get("detail") else None,
                "fires": next_fire_times(config),
                "schedule": getattr(config, "schedule", None),
                "zone": str(config.time_zone())
                if config is not None and _is_timer(config)
                else None,
            }
        )
    return {"triggers": rows}


@routes.get("/functions")
@aiohttp_jinja2.template("functions.html")
async def functions(request: web.Request) -> dict[str, Any]:
    ctx, seen = api_context(request), activity(request)
    active = await active_by_function(ctx.hub.store, sorted(ctx.hub.functions))
    rows = []
    for name in sorted(ctx.hub.functions):
        config = ctx.hub.functions[name]
        outcomes = seen.outcomes.get(name)
        finished = sum(outcomes.values()) if outcomes else 0
        runs = list(seen.run_times.get(name) or ())
        rows.append(
            {
                "name": name,
                "settings": pretty(config_view(config.model_dump(mode="json"))),
                "running": active.get(name, {}).get("running", 0),
                "queued": active.get(name, {}).get("queued", 0),
                "retrying": active.get(name, {}).get("retrying", 0),
                "limit": config.concurrency,
                "paused_at": ctx.hub.pauses.functions.get(name),
                "finished": finished,
                "success": None
                if not finished or outcomes is None
                else outcomes["succeeded"] / finished,
                "p50": percentile(runs, 0.5),
                "p99": percentile(runs, 0.99),
                "failures": list(seen.failures.get(name) or []),
            }
        )
    return {"functions": rows}


def _is_timer(config: Any) -> bool:
    return getattr(config, "type", None) == "timer"
