"""Several sources' batches committed together: each keeps its own functions, flow settings,
origin and checkpoint, and its own answer (what became of its events, or why it was refused),
but the plain ones share one store operation, so one commit and one fsync serve them all. The
timers of one instant submit this way (triggers/timer/instants.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from hub import clock
from hub.config.flow_lease import LeaseFlow
from hub.config.functions import FunctionConfig
from hub.events import Event, WireEvent
from hub.flow.config import TriggerOrigin
from hub.flow.intake import IntakeFlow
from hub.hooks import Hooks
from hub.invocation import NewInvocation
from hub.store.base import Checkpoint, InvocationStore, Submitted
from hub.store.optional import takes_checkpoints
from hub.submission import new_invocations

Batches = Sequence[tuple[str, Sequence[Event | WireEvent]]]


@dataclass(slots=True)
class Submission:
    """One source's batch: what `submit_many` takes for it."""

    batches: Batches
    checkpoint: Checkpoint | None = None
    source: str | None = None
    flow: LeaseFlow | None = None
    origin: TriggerOrigin | None = None


Outcome = list[list[Submitted]] | Exception
"""Per batch what became of each event, as submit_many answers; or why it was refused."""
SubmitOne = Callable[[Submission], Awaitable[list[list[Submitted]]]]


async def submit_together(
    parts: Sequence[Submission],
    *,
    store: InvocationStore,
    hooks: Hooks,
    functions: Mapping[str, FunctionConfig],
    intake: IntakeFlow,
    traced: bool,
    submit_one: SubmitOne,
) -> list[Outcome]:
    """Commit the parts, one outcome each. A part the intake side of flow control shapes (or
    that is traced, or all of them when the store cannot commit several checkpoints at once)
    takes `submit_one`, its own submit_many, at the same time: the store's
    group commit still takes them in together, but each is its own operation."""
    outcomes: list[Outcome | None] = [None] * len(parts)
    now = clock.now()
    plain: list[tuple[int, list[NewInvocation]]] = []
    shaped: list[int] = []
    shared = takes_checkpoints(store)
    for n, part in enumerate(parts):
        if (
            not shared
            or traced
            or intake.active
            or (part.origin is not None and part.origin.overrides is not None)
        ):
            shaped.append(n)
            continue
        try:
            plain.append((n, new_invocations(part.batches, functions, now, now, part.flow)))
        except Exception as exc:  # an unknown function refuses this part alone
            outcomes[n] = exc
    if plain:
        await _commit_plain(parts, plain, outcomes, store, hooks)
    if shaped:
        answers = await asyncio.gather(
            *(submit_one(parts[n]) for n in shaped), return_exceptions=True
        )
        for n, answer in zip(shaped, answers, strict=True):
            if isinstance(answer, BaseException) and not isinstance(answer, Exception):
                raise answer
            outcomes[n] = answer
    return [outcome if outcome is not None else [] for outcome in outcomes]


async def _commit_plain(
    parts: Sequence[Submission],
    plain: list[tuple[int, list[NewInvocation]]],
    outcomes: list[Outcome | None],
    store: InvocationStore,
    hooks: Hooks,
) -> None:
    items = [item for _, made in plain for item in made]
    checkpoints = [cp for n, _ in plain if (cp := parts[n].checkpoint) is not None]
    try:
        results = await store.submit(items, checkpoints=checkpoints)
    except Exception as exc:
        for n, _ in plain:
            outcomes[n] = exc
        return
    created: Counter[str] = Counter()
    at = 0
    for n, _ in plain:
        per_batch: list[list[Submitted]] = []
        for function, events in parts[n].batches:
            answers = results[at : at + len(events)]
            at += len(events)
            per_batch.append(answers)
            created[function] += sum(1 for r in answers if r.created)
        outcomes[n] = per_batch
    for function, count in created.items():
        if count:
            hooks.submitted(function, count)
