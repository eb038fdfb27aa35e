"""Flow control on the leasing side: how many invocations of one key run at once, how fast a
function (or a destination) is started, and which due work is leased first.

A function sets them; a trigger may set them too, for its own events (its value wins).
The keys are selectors as filters spell them: `data.tenant`, `subject`, an extension name."""

from typing import Annotated

from pydantic import Field, model_validator

from hub.config.base import Strict
from hub.config.durations import Duration
from hub.flow.fields import FieldPath

PRIORITY_MAX = 9
Selector = FieldPath
"""Read by the one key rule of every flow setting (hub/flow/fields.py)."""
Priority = Annotated[
    int,
    Field(
        ge=0,
        le=PRIORITY_MAX,
        description="0 (the default, lowest) to 9: higher priority due work is leased first.",
    ),
]


class KeyConcurrency(Strict):
    key: Selector
    limit: int = Field(ge=1, le=10_000, description="At most this many run at once per key.")


class RateLimit(Strict):
    limit: int = Field(ge=1, le=1_000_000, description="Starts allowed per period.")
    period: Duration = Field(gt=0, le=86400, description="The period `limit` is counted over.")
    burst: int = Field(1, ge=1, le=1_000_000, description="How many may start at once.")
    key: Selector | None = Field(None, description="One limit per value of this key.")

    @model_validator(mode="after")
    def _burst_within_limit(self) -> "RateLimit":
        if self.burst > self.limit:
            raise ValueError(f"burst ({self.burst}) must not exceed limit ({self.limit})")
        return self

    @property
    def interval(self) -> float:
        """The time one start uses up (GCRA's emission interval)."""
        return self.period / self.limit


class LeaseFlow(Strict):
    """The leasing-side flow-control settings of a function or a trigger."""

    key_concurrency: KeyConcurrency | None = Field(
        None, description="At most `limit` invocations with the same key run at once."
    )
    rate_limit: RateLimit | None = Field(
        None, description="Starts per period; the excess waits in the queue, never dropped."
    )
    priority: Priority | None = None


class DestinationRateLimit(RateLimit):
    @model_validator(mode="after")
    def _no_key(self) -> "DestinationRateLimit":
        if self.key is not None:
            raise ValueError("a destination's rate_limit has no key: it limits the destination")
        return self


class RatedDestination(Strict):
    """The base of every destination's config: deliveries over the rate wait in the outbox."""

    rate_limit: DestinationRateLimit | None = Field(
        None, description="Deliveries per period to this destination; the excess waits."
    )
