"""The hub's side of flow control at intake: which submits take the flow-controlled path, the
plan of each of their invocations, and what follows a commit that stopped some."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import orjson

from hub.config.functions import FunctionConfig
from hub.events import Event, WireEvent
from hub.flow.config import TriggerOrigin
from hub.flow.outcome import Stopped
from hub.flow.plan import FlowPlan, SingletonPlan, cancels_of, plan_of, singleton_plan
from hub.flow.redrive_ops import Redrive
from hub.hooks import Hooks
from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store.base import Checkpoint, InvocationStore, Submitted


class IntakeFlow:
    def __init__(
        self,
        store: InvocationStore,
        cancel_running: Callable[[str], bool],
        on_final: Callable[[Invocation, Status], None],
        hooks: Hooks,
    ) -> None:
        self._store = store
        self._cancel_running = cancel_running
        self._on_final = on_final
        self._hooks = hooks
        self._functions: Mapping[str, FunctionConfig] = {}
        self.active = False
        """Whether any function has a flow setting: if not, every submit is a plain one."""

    def set_functions(self, functions: Mapping[str, FunctionConfig]) -> None:
        self._functions = functions
        self.active = any(config.shapes_intake for config in functions.values())

    async def submit(
        self,
        items: Sequence[NewInvocation],
        batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
        checkpoint: Checkpoint | None,
        origin: TriggerOrigin | None,
    ) -> list[Submitted]:
        """`items` as made from `batches` (one per event and function, in order), from the
        trigger `origin` (None: from the API)."""
        cancels = []
        overrides = None
        if origin is not None:
            cancels = cancels_of(origin.name, _distinct(batches), self._functions)
            overrides = origin.overrides
        plans: list[FlowPlan | None] = []
        for item in items:
            config = self._functions.get(item.function)
            if config is not None and (overrides is not None or config.shapes_intake):
                plans.append(plan_of(config, item.event, overrides))
            else:
                plans.append(None)
        if not cancels and all(plan is None for plan in plans):
            return await self._store.submit(items, checkpoint)
        outcome = await self._store.submit_flow(items, plans, cancels, checkpoint)
        await self._settle(outcome.stopped)
        return outcome.submitted

    async def redrive(
        self, invocations: Sequence[Invocation], deadlines: Sequence[float], *, strict: bool
    ) -> list[bool]:
        """Queue each again with its new deadline, held to its function's singleton as a new
        submit is (a trigger's own singleton is not known once its event is stored); whether
        each is queued. `strict`: one that cannot be redriven raises."""
        items = [
            Redrive(inv.id, inv.function, deadline, self._singleton(inv))
            for inv, deadline in zip(invocations, deadlines, strict=True)
        ]
        outcome = await self._store.redrive_flow(items, strict=strict)
        await self._settle(outcome.stopped)
        return outcome.queued

    def _singleton(self, inv: Invocation) -> SingletonPlan | None:
        config = self._functions.get(inv.function)
        if config is None or config.singleton is None:
            return None
        return singleton_plan(config, orjson.loads(inv.event_json))

    async def _settle(self, stopped_ones: Sequence[Stopped]) -> None:
        for stopped in stopped_ones:
            if stopped.before == "running":
                self._cancel_running(stopped.id)  # one running on another daemon ends there
            # Waiters, metrics and the outcome log learn of it as of any stop.
            inv = await self._store.get(stopped.id)
            if inv is not None:
                self._on_final(inv, Status.STOPPED)
                self._hooks.ended_with(inv, stopped.condition, stopped.detail, None, None)


def _distinct(
    batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
) -> list[Event | WireEvent]:
    """A trigger's events, once: its batches hand the same events to each of its functions."""
    seen: dict[int, Event | WireEvent] = {}
    for _, events in batches:
        for event in events:
            seen.setdefault(id(event), event)
    return list(seen.values())
