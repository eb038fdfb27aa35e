"""What the store is to do with one new invocation of a flow-controlled function, worked out
from its config and its event before the submit transaction; and the cancellations an event of
a trigger named in some `cancel_on` asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from hub.config.functions import FunctionConfig
from hub.events import Event, WireEvent
from hub.flow.config import CancelOn, Gathering
from hub.flow.fields import attributes, key_of

WHOLE_FUNCTION = "*"
"""The key of a debounce, batching or singleton without `key`: one for the whole function."""
NO_KEY = "-"
"""The batch key of events without a key (an event's key is stored as `=` and its text)."""


@dataclass(slots=True, frozen=True)
class DebouncePlan:
    key: str
    period: float
    max_wait: float | None


@dataclass(slots=True, frozen=True)
class SingletonPlan:
    key: str
    cancel: bool


@dataclass(slots=True, frozen=True)
class BatchPlan:
    key: str
    max_size: int
    max_wait: float


@dataclass(slots=True)
class FlowPlan:
    debounce: DebouncePlan | None = None
    batch: BatchPlan | None = None
    singleton: SingletonPlan | None = None
    marks: list[str] = field(default_factory=list)
    """One per `cancel_on` entry: what an event of that trigger must carry to cancel it."""


@dataclass(slots=True, frozen=True)
class Cancel:
    """Stop the active invocations of `function` marked `mark`, because of event `by`."""

    function: str
    mark: str
    by: str


def plan_of(
    config: FunctionConfig, event: Event | WireEvent, overrides: Gathering | None = None
) -> FlowPlan:
    """Keys are read by the one rule of hub/flow/fields.py: an event without one is not
    debounced or held to a singleton (it runs as an ordinary invocation), is batched with the
    others without one, and cannot be cancelled by a `cancel_on` entry whose field it lacks.
    A trigger's `overrides` replace the function's debounce, batching and singleton."""
    attrs = attributes(event)
    plan = FlowPlan()
    gathering: Gathering = overrides or config
    if (debounce := gathering.debounce) is not None:
        key = _key(attrs, debounce.key)
        if key is not None:
            plan.debounce = DebouncePlan(key, debounce.period, debounce.max_wait)
    if (batching := gathering.batching) is not None:
        # Without its key field an event still needs a batch (the function expects a list):
        # it shares one with the other events that lack it.
        key = _key(attrs, batching.key) or NO_KEY
        plan.batch = BatchPlan(key, batching.max_size, batching.max_wait)
    plan.singleton = singleton_plan(gathering, attrs)
    for index, entry in enumerate(config.cancel_on):
        mark = _mark(attrs, index, entry, list(entry.match))
        if mark is not None:
            plan.marks.append(mark)
    return plan


def singleton_plan(gathering: Gathering, attrs: dict[str, Any]) -> SingletonPlan | None:
    if (singleton := gathering.singleton) is None:
        return None
    key = _key(attrs, singleton.key)
    return None if key is None else SingletonPlan(key, singleton.mode == "cancel")


def cancels_of(
    trigger: str,
    events: Sequence[Event | WireEvent],
    functions: Mapping[str, FunctionConfig],
) -> list[Cancel]:
    found: list[Cancel] = []
    listening = [
        (name, index, entry)
        for name, config in functions.items()
        for index, entry in enumerate(config.cancel_on)
        if entry.trigger == trigger
    ]
    if not listening:
        return found
    for event in events:
        attrs = attributes(event)
        for name, index, entry in listening:
            mark = _mark(attrs, index, entry, list(entry.match.values()))
            if mark is not None:
                found.append(Cancel(name, mark, str(attrs.get("id"))))
    return found


def _key(attrs: dict[str, Any], path: str | None) -> str | None:
    if path is None:
        return WHOLE_FUNCTION
    key = key_of(attrs, path)
    return None if key is None else f"={key}"


def _mark(attrs: dict[str, Any], index: int, entry: CancelOn, paths: list[str]) -> str | None:
    """The entry, its trigger and the keys in `match` order: the invocation's side and the
    cancelling event's side line up pair by pair."""
    keys = [key_of(attrs, path) for path in paths]
    if any(key is None for key in keys):
        return None
    return f"{index}:{entry.trigger}:{orjson.dumps(keys).decode()}"
