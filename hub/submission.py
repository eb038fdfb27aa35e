"""From submitted events to new invocations: when each may start and until when it may run,
and their one commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from hub import clock
from hub.config.flow_lease import LeaseFlow
from hub.config.functions import FunctionConfig
from hub.errors import UnknownFunctionError
from hub.events import Event, WireEvent
from hub.flow.columns import plan_for
from hub.hooks import Hooks
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.base import Checkpoint, InvocationStore, Submitted

if TYPE_CHECKING:
    from hub.flow.config import TriggerOrigin
    from hub.flow.intake import IntakeFlow

MAX_DELAY = 7 * 86400.0


def new_invocations(
    batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
    functions: Mapping[str, FunctionConfig],
    now: float,
    start: float,
    flow: LeaseFlow | None = None,
) -> list[NewInvocation]:
    """One invocation per event and function, due at `start`, expiring after the function's
    max_event_age; `flow` overrides the functions' flow-control settings (a trigger's, or a
    request's priority)."""
    items: list[NewInvocation] = []
    for function, events in batches:
        config = functions.get(function)
        if config is None:
            raise UnknownFunctionError(f"no function named {function!r}")
        deadline = start + config.max_event_age
        plan = plan_for(config, flow)
        for given in events:
            # A wire form (from intake) is written as it is, an Event when it is stored.
            event = given.event if isinstance(given, WireEvent) else given
            items.append(
                NewInvocation(
                    id=new_id(now),
                    function=function,
                    event=given,
                    not_before=start,
                    deadline=deadline,
                    idempotency_key=event.idempotency_key,
                    ordering_key=event.ordering_key,
                    flow=None if plan is None else plan.columns(event),
                )
            )
    return items


def start_time(now: float, delay: float | None, not_before: float | None) -> float:
    if delay is not None and not_before is not None:
        raise ValueError("give either a delay or a not-before time, not both")
    if delay is not None:
        if not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY:g} seconds (7 days)")
        return now + delay
    if not_before is not None:
        if not_before - now > MAX_DELAY:
            raise ValueError("not-before time must be at most 7 days ahead")
        return max(now, not_before)
    return now


async def submit_batches(
    store: InvocationStore,
    hooks: Hooks,
    functions: Mapping[str, FunctionConfig],
    delay: float | None,
    not_before: float | None,
    flow: LeaseFlow | None,
    batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
    checkpoint: Checkpoint | None,
    *,
    intake: IntakeFlow | None = None,
    origin: TriggerOrigin | None = None,
) -> list[list[Submitted]]:
    """Queue the batches' invocations (and the checkpoint) in one commit; per batch, what
    became of each event. `intake` decides what the intake side of flow control does with
    them (debounce, batching, singleton, cancel_on) when a function or the trigger (`origin`)
    has such settings."""
    now = clock.now()
    start = start_time(now, delay, not_before)
    items = new_invocations(batches, functions, now, start, flow)
    if intake is not None and (
        intake.active or (origin is not None and origin.overrides is not None)
    ):
        results = await intake.submit(items, batches, checkpoint, origin)
    else:
        results = await store.submit(items, checkpoint)
    out: list[list[Submitted]] = []
    for function, events in batches:
        out.append(results[: len(events)])
        results = results[len(events) :]
        created = sum(1 for r in out[-1] if r.created)
        if created:
            hooks.submitted(function, created)
    return out
