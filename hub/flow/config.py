"""The intake-side flow settings of a function (`debounce`, `singleton`, `cancel_on`), as a
mixin of the function's config model, so they are validated with located errors and shown in
`GET /v1/functions` like every other setting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.flow.fields import FieldPath

MAX_PERIOD = 7 * 86400.0


class Debounce(Strict):
    """A burst of events with the same key becomes one invocation carrying the last event."""

    key: FieldPath | None = Field(
        None, description="Events with the same value here are one burst; none: all events."
    )
    period: Duration = Field(
        gt=0, le=MAX_PERIOD, description="The invocation starts this long after the last event."
    )
    max_wait: Duration | None = Field(
        None,
        gt=0,
        le=MAX_PERIOD,
        description="...and at most this long after the first event of the burst.",
    )

    @model_validator(mode="after")
    def _wait_not_below_period(self) -> Debounce:
        if self.max_wait is not None and self.max_wait < self.period:
            raise ValueError("debounce.max_wait must not be smaller than debounce.period")
        return self


class Singleton(Strict):
    """At most one invocation per key queued or running."""

    key: FieldPath | None = Field(
        None, description="One active invocation per value of this field; none: per function."
    )
    mode: Literal["skip", "cancel"] = Field(
        "skip",
        description="`skip`: a new invocation is recorded as stopped (condition Skipped) with "
        "the id it yielded to; `cancel`: the active one is stopped (condition Cancelled) and "
        "the new one queued.",
    )


class CancelOn(Strict):
    """Events of `trigger` stop this function's active invocations whose fields match."""

    # A name of `triggers:` (checked against them at load, hub/flow/references.py).
    trigger: str = Field(min_length=1, description="The trigger whose events cancel.")
    match: dict[FieldPath, FieldPath] = Field(
        min_length=1,
        description="This function's event field: the cancelling event's field; every pair "
        "must be equal.",
    )


class EventBatching(Strict):
    """Events gathered into one invocation whose data is the list of them."""

    max_size: int = Field(100, ge=1, le=10_000, description="Events per invocation at most.")
    max_wait: Duration = Field(
        1.0, gt=0, le=3600, description="A batch starts at most this long after its first event."
    )
    key: FieldPath | None = Field(
        None, description="Only events with the same value here share a batch."
    )


class Gathering(Strict):
    """How many invocations a key's events become: at most one of the three."""

    debounce: Debounce | None = None
    batching: EventBatching | None = None
    singleton: Singleton | None = None

    @model_validator(mode="after")
    def _one_way_to_gather(self) -> Gathering:
        given = [
            name
            for name in ("debounce", "batching", "singleton")
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"give only one of debounce, batching and singleton (found {' and '.join(given)})"
                ": each decides on its own how many invocations a key's events become"
            )
        return self

    @property
    def gathers(self) -> bool:
        return self.debounce is not None or self.batching is not None or self.singleton is not None


class TriggerFlowOverrides(Gathering):
    """A trigger's own `debounce`, `batching` or `singleton`: for its events, it replaces
    whichever of the three its functions have."""

    def flow_overrides(self) -> Gathering | None:
        return self if self.gathers else None


@dataclass(frozen=True, slots=True)
class TriggerOrigin:
    """Events that came from trigger `name` (not from the API): what a `cancel_on` listens to,
    with the trigger's own flow settings, if it has any."""

    name: str
    overrides: Gathering | None = None


class IntakeFlowSettings(Gathering):
    cancel_on: list[CancelOn] = Field(default_factory=list, max_length=16)

    @property
    def shapes_intake(self) -> bool:
        """Whether a submit of this function takes the flow-controlled path."""
        return self.gathers or bool(self.cancel_on)
