"""What an invocation under flow control carries into the store, computed once at submit: its
priority, its concurrency key and limit, its rate-limit bucket and rate. The lease reads only
these columns, so it needs no config, and every daemon sharing a store applies the rules the
invocation was submitted with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.config.flow_lease import LeaseFlow, RateLimit
from hub.events import Event
from hub.flow.fields import key_of


@dataclass(slots=True, frozen=True)
class FlowColumns:
    priority: int
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    rate_key: str | None = None
    rate_interval: float | None = None
    rate_burst: int | None = None


class FlowPlan:
    """A function's effective settings for one submit (the trigger's or the request's override
    applied), turning each event into its columns."""

    def __init__(self, function: LeaseFlow, override: LeaseFlow | None) -> None:
        def pick(name: str) -> Any:
            value = getattr(override, name, None) if override is not None else None
            return value if value is not None else getattr(function, name)

        self.priority: int = pick("priority") or 0
        concurrency = pick("key_concurrency")
        rate: RateLimit | None = pick("rate_limit")
        self._concurrency_key = None if concurrency is None else key_reader(concurrency.key)
        self._concurrency_limit = None if concurrency is None else concurrency.limit
        self._rate = rate
        self._rate_key = None if rate is None or rate.key is None else key_reader(rate.key)

    def columns(self, event: Event) -> FlowColumns:
        rate = self._rate
        return FlowColumns(
            priority=self.priority,
            concurrency_key=None if self._concurrency_key is None else self._concurrency_key(event),
            concurrency_limit=self._concurrency_limit,
            rate_key=None
            if rate is None
            else ("" if self._rate_key is None else self._rate_key(event)),
            rate_interval=None if rate is None else rate.interval,
            rate_burst=None if rate is None else rate.burst,
        )


def plan_for(function: LeaseFlow, override: LeaseFlow | None) -> FlowPlan | None:
    """None when nothing asks for flow control: the invocation takes the plain, fastest path."""
    if not _asks(function) and (override is None or not _asks(override)):
        return None
    return FlowPlan(function, override)


def _asks(settings: LeaseFlow) -> bool:
    return (
        settings.key_concurrency is not None
        or settings.rate_limit is not None
        or bool(settings.priority)
    )


def key_reader(path: str) -> Callable[[Event], str]:
    """The key of an event by the one rule of hub/flow/fields.py; an event without one has
    the empty key: all such events share one limit, so none slips past it."""

    def read(event: Event) -> str:
        return key_of(event.to_dict(), path) or ""

    return read
