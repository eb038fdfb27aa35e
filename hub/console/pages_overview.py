"""The overview: backlog by status, finished per minute, latency percentiles, trigger states,
and whatever is failing now."""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from hub.console.activity import percentile
from hub.console.chart import per_minute_chart
from hub.console.guard import activity, api_context
from hub.console.shown import when
from hub.engine import Hub
from hub.invocation import Invocation
from hub.status import Status
from hub.store.base import ListQuery
from hub.store.insight import pending_deliveries

routes = web.RouteTableDef()
SHOWN_STATUSES = ("queued", "running", "retrying")


@routes.get("/")
@aiohttp_jinja2.template("overview.html")
async def overview(request: web.Request) -> dict[str, Any]:
    ctx, seen = api_context(request), activity(request)
    store = ctx.hub.store
    counts = await ctx.hub.counts()
    minutes = seen.per_minute()
    chart = per_minute_chart(minutes, [when(m)[11:16] for m, _ in minutes])
    waits = [w for samples in seen.waits.values() for w in samples]
    runs = [r for samples in seen.run_times.values() for r in samples]
    triggers = dict(ctx.triggers_status()) if ctx.triggers_status is not None else {}
    states = Counter(str(t.get("state")) for t in triggers.values())
    return {
        "backlog": [(s, counts.get(s, 0)) for s in SHOWN_STATUSES],
        "chart": chart,
        "latency": [
            ("submit to start", [percentile(waits, p) for p in (0.5, 0.9, 0.99)]),
            ("run time", [percentile(runs, p) for p in (0.5, 0.9, 0.99)]),
        ],
        "trigger_states": sorted(states.items()),
        "failed_triggers": {name: t for name, t in triggers.items() if t.get("state") == "failed"},
        "erroring_triggers": {
            name: t
            for name, t in triggers.items()
            if t.get("state") != "failed" and t.get("last_error")
        },
        "deliveries": await pending_deliveries(store),
        "expired": await _newest(ctx.hub, Status.EXPIRED),
        "failed": await _newest(ctx.hub, Status.FAILED),
    }


async def _newest(hub: Hub, status: Status, count: int = 5) -> list[Invocation]:
    """The invocations that most recently ended so, by the API's listing."""
    return (await hub.query(ListQuery(status=status, limit=count))).items
