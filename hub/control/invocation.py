"""Stop or redrive one invocation by request; the bulk actions (bulk.py) do the same for each
invocation a filter selects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hub import clock
from hub.config.functions import FunctionConfig, max_event_age_of
from hub.destinations.routing import build_record, routing_of
from hub.errors import InvalidStateError
from hub.invocation import Invocation
from hub.status import Condition, Status
from hub.store.base import Routing

if TYPE_CHECKING:
    from hub.engine import Hub

STOP_REASON = "stopped by request"


async def stop_one(hub: Hub, invocation_id: str) -> Invocation:
    inv = await hub.get(invocation_id)
    if inv.status.final:
        raise InvalidStateError(f"invocation {invocation_id} is already {inv.status}")
    now = clock.now()
    routing = stop_routing(hub.functions, inv, now)
    before = await hub.store.stop(invocation_id, now, routing)
    if before is Status.RUNNING:
        hub.executor.cancel(invocation_id)
    hub._on_final(inv, Status.STOPPED)
    hub.hooks.ended_with(inv, Condition.STOPPED, STOP_REASON, None, routing)
    return await hub.get(invocation_id)


async def redrive_one(hub: Hub, invocation_id: str) -> Invocation:
    inv = await hub.get(invocation_id)
    max_age = max_event_age_of(hub.functions.get(inv.function))
    now = clock.now()
    await hub.flow.redrive([inv], [now + max_age], strict=True)  # held to its singleton
    return await hub.get(invocation_id)


def stop_routing(functions: Mapping[str, FunctionConfig], inv: Invocation, now: float) -> Routing:
    """Where a stopped invocation's on_failure record goes, if its function routes one."""
    config = functions.get(inv.function)
    if config is None or config.on_failure is None:
        return Routing()
    record = build_record(inv, Condition.STOPPED, error=STOP_REASON)
    return routing_of(inv, config, Condition.STOPPED, record, functions.get, now)
