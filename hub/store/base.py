"""The invocation store contract, one small protocol per aggregate. Every backend (SQLite
embedded, PostgreSQL shared) passes the same contract suite in tests/store/."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from hub.flow.protocol import FlowIntake
from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store.health import StoreHealth
from hub.store.operator import Bulk, Pauses
from hub.supervisor import Supervisor

if TYPE_CHECKING:
    from hub.store.submit_lease import SubmitLeaser


@dataclass(slots=True, frozen=True)
class Checkpoint:
    """A source position committed in the same transaction as the invocations read before it."""

    name: str
    value: str


@dataclass(slots=True)
class Delivery:
    """A destination record waiting to be delivered (the outbox)."""

    id: str
    invocation_id: str
    slot: str
    destination: bytes
    record: bytes
    attempts: int = 0


@dataclass(slots=True)
class Routing:
    """What finishing an invocation sends on: outbox deliveries and follow-up invocations
    (function destinations), committed atomically with the final status."""

    deliveries: list[Delivery] = field(default_factory=list)
    follow_ups: list[NewInvocation] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Submitted:
    id: str
    created: bool
    folded: bool = False
    """Not created, but carried: a debounce put the event on the pending invocation `id`."""


@dataclass(slots=True)
class Page:
    items: list[Invocation]
    next_cursor: str | None


@dataclass(slots=True, frozen=True)
class ListQuery:
    function: str | None = None
    status: Status | None = None
    created_after: float | None = None
    created_before: float | None = None
    limit: int = 100
    cursor: str | None = None


DueCallback = Callable[[float], None]


class StoreLife(Protocol):
    health: StoreHealth
    """Whether the store can write; readiness, intake and the API read it."""
    loops: Supervisor
    """The store's background loops; the hub places them in its supervisor tree."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def flush(self) -> None:
        """Return once every write queued before this call is committed."""


class Invocations(Protocol):
    """The invocation aggregate: its status changes, each guarded by the lease it expects."""

    def on_due(self, callback: DueCallback) -> None:
        """`callback(run_at)` is called in the event loop after a commit makes work due."""

    def lease_at_submit(self, leaser: SubmitLeaser) -> None:
        """Submits may lease what they create into `leaser`'s room (submit_lease.py). Optional:
        the hub looks it up, and without it the dispatcher leases everything."""

    async def submit(
        self,
        items: Sequence[NewInvocation],
        checkpoint: Checkpoint | None = None,
        *,
        checkpoints: Sequence[Checkpoint] = (),
    ) -> list[Submitted]:
        """`checkpoints`: several sources' positions committed with the items (one instant's
        timers, say), beside or instead of the one `checkpoint`. Optional: without it, the
        hub submits each source's batch apart (store/optional.py)."""

    async def lease(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> tuple[list[Invocation], float | None]: ...
    async def start(self, inv: Invocation, owner: str, now: float, run_until: float) -> None: ...
    async def finalize(
        self,
        inv: Invocation,
        owner: str,
        now: float,
        status: Status,
        condition: str,
        error: str | None,
        response: bytes | None,
        routing: Routing,
    ) -> bool:
        """Commit the final status with what it routes on; False if `owner` lost the lease."""

    async def retry(
        self, inv: Invocation, owner: str, now: float, next_at: float, error: str
    ) -> bool: ...
    async def defer(self, inv: Invocation, owner: str, next_at: float, error: str) -> None: ...
    async def release(self, owner: str) -> int: ...
    async def stop(self, invocation_id: str, now: float, routing: Routing) -> Status: ...
    async def redrive(self, invocation_id: str, now: float, deadline: float) -> None: ...
    async def get(self, invocation_id: str) -> Invocation | None: ...
    async def query(self, query: ListQuery) -> Page: ...
    async def purge(self, now: float, retention: float) -> int: ...
    async def counts(self) -> dict[str, int]: ...
    async def backlog(self, cap: int) -> int: ...


class Outbox(Protocol):
    """Destination records waiting to be delivered."""

    def on_outbox(self, callback: DueCallback) -> None:
        """`callback(run_at)` is called after a commit queues a destination delivery."""

    async def next_delivery(self) -> float | None: ...
    async def lease_deliveries(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> list[Delivery]: ...
    async def delivered(self, delivery: Delivery, now: float, detail: str) -> None: ...
    async def delivery_failed(
        self, delivery: Delivery, now: float, error: str, next_at: float | None
    ) -> None: ...


class Positions(Protocol):
    """Where each source is, and which daemon reads a single-reader source."""

    async def get_checkpoint(self, name: str) -> str | None: ...
    async def set_checkpoint(self, checkpoint: Checkpoint) -> None: ...
    async def claim_source(self, name: str, owner: str, now: float, until: float) -> str:
        """Take or renew the lease on a single-reader source until `until` if it is free,
        expired or already ours; returns the owner holding it after the call."""

    async def release_source(self, name: str, owner: str) -> None:
        """Give the lease up (if `owner` holds it) so another daemon takes over at once."""


class RateLimits(Protocol):
    """Rate-limit buckets kept in the store, for what the lease does not start (deliveries)."""

    async def take_rate(
        self, bucket: str, key: str, now: float, interval: float, burst: int
    ) -> float | None:
        """Take a start now: None when taken, else when the next one may be taken."""

    async def postpone_delivery(self, delivery: Delivery, owner: str, until: float) -> None:
        """Give a leased delivery back until `until` without counting an attempt."""

    async def purge_rates(self, now: float, chunk: int = 1000) -> int:
        """Delete the buckets that are full again at `now` (of functions and destinations
        alike); returns how many went. Optional: the hub looks it up (store/optional.py)."""


class InvocationStore(
    StoreLife, Invocations, Outbox, Positions, Pauses, Bulk, RateLimits, FlowIntake, Protocol
):
    """A whole store. Time: an operation whose caller decides the instant (a lease, an
    outcome) takes it as `now`; the others (submit, release, set_checkpoint, the write
    probe) are stamped by the store when it queues them, from `hub.clock`."""
