"""What a flow-controlled submit did: each invocation's `Submitted`, and those it stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.status import Condition
from hub.store.base import Submitted


@dataclass(slots=True, frozen=True)
class Stopped:
    """An invocation this submit made final (cancelled, or skipped), the status it had, why."""

    id: str
    before: str
    condition: Condition
    detail: str


@dataclass(slots=True)
class FlowOutcome:
    submitted: list[Submitted]
    stopped: list[Stopped] = field(default_factory=list)
    earliest_due: float | None = None
    """When the first of the invocations it created is due (a debounce or batch defers it)."""
