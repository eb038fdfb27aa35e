"""What a trigger plugin implements. A source says how to connect, read a batch, acknowledge
it and close; the hub owns the loop, the reconnect backoff, the filter and the durable submit.

    class TickSource:
        async def connect(self) -> None: ...
        async def read(self) -> Batch: ...      # waits for events; raises a signal below
        async def close(self) -> None: ...
        def lag(self) -> float | None: ...      # optional: how far behind the source it is
        lag_unit = "records"                    # optional: what lag counts (records, seconds)
        def detail(self) -> dict[str, Any]: ... # optional: more state for `triggerhub status`
        def gaps(self) -> int: ...              # optional: source history it had to skip
        async def pause(self) -> None: ...      # optional: backlog full, reading stops
        async def resume(self) -> None: ...

`read` blocks until there is something to return. The hub calls `batch.ack()` only after every
event of the batch is durably queued (with `batch.checkpoint` in the same commit), and
`batch.nack(reason)` when it could not queue them; the source then redelivers them later (a
source whose position is the checkpoint passes `hub.plugins.read_again`: forget, read again).
Parsing stays pure and separate (`parse(raw) -> Event` in the plugin's `parse.py`), so it is
tested without a server; what it cannot make a proper event becomes `hub.plugins.invalid_event`,
never an exception that would stall the source. A source that reads thousands of events a second
may hand out their wire forms instead (`hub.plugins.wire_form`): intake takes them as written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from structlog.typing import FilteringBoundLogger

from hub.errors import TriggerHubError
from hub.events import Event, WireEvent
from hub.store.base import Checkpoint
from hub.supervisor import Supervisor


class SourceSignal(TriggerHubError):
    """Control flow from a source to the hub; never an error to report."""


class NotConnected(SourceSignal):
    """The connection is gone: the hub closes the source and connects again with backoff."""


class EndOfInput(SourceSignal):
    """The source is exhausted; the trigger ends cleanly (state `ended`)."""


class SourceFailed(SourceSignal):
    """The source cannot go on until an operator acts (its history is gone, say): the trigger
    stops in state `failed` with this message and is not reconnected. Reloading the triggers
    file, or restarting the daemon, starts it again."""


class BackOff(SourceSignal):
    """Nothing to do for a while (rate limit, empty poll): the hub waits, then reads again."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"back off for {seconds:g}s")
        self.seconds = seconds


async def _nothing() -> None:
    return None


async def _nothing_with(_reason: str) -> None:
    return None


@dataclass(slots=True)
class Batch:
    events: Sequence[Event | WireEvent]
    checkpoint: Checkpoint | None = None
    on_ack: Callable[[], Awaitable[None]] = _nothing
    on_nack: Callable[[str], Awaitable[None]] = _nothing_with

    async def ack(self) -> None:
        await self.on_ack()

    async def nack(self, reason: str) -> None:
        await self.on_nack(reason)


@dataclass(slots=True)
class WrittenBatch(Batch):
    """A batch whose source wrote each event's wire form itself (`written[i]` is `events[i]`
    as `WireEvent.of` writes it) and vouches that the hub can store it (its data nests no
    deeper than the hub allows, checked once): intake skips writing and checking them again."""

    written: Sequence[WireEvent] = ()


@runtime_checkable
class Source(Protocol):
    async def connect(self) -> None: ...
    async def read(self) -> Batch: ...
    async def close(self) -> None: ...


@runtime_checkable
class ReportsLag(Protocol):
    def lag(self) -> float | None: ...


@runtime_checkable
class ReportsLagUnit(Protocol):
    """Optional: what `lag` counts, shown beside it (`records`, `messages`, `bytes`,
    `seconds`); counts are shown whole, seconds to the millisecond."""

    lag_unit: str


@runtime_checkable
class ReportsLagDetail(Protocol):
    """Optional: lag per part of the source (Kafka: per `topic/partition`)."""

    def lag_detail(self) -> dict[str, float]: ...


@runtime_checkable
class ReportsDetail(Protocol):
    """Optional: kind-specific state shown as `detail` in the trigger's status (a timer's next
    tick, a change stream's position). Values must be JSON-compatible."""

    def detail(self) -> dict[str, Any]: ...


@runtime_checkable
class ReportsGaps(Protocol):
    """Optional: how many times the source skipped history it could no longer read, each one
    logged when it happened (counted in `gaps` and `triggerhub_trigger_gaps`)."""

    def gaps(self) -> int: ...


@runtime_checkable
class Pausable(Protocol):
    """For sources that must keep their session alive while intake waits (Kafka pauses its
    partitions so the consumer group does not rebalance); others simply are not read."""

    async def pause(self) -> None: ...
    async def resume(self) -> None: ...


@dataclass(slots=True)
class SourceContext:
    """What a factory gets besides its config: the trigger's name, the last committed
    checkpoints (to resume from), a logger bound to the trigger, and where to start its own
    background tasks.

    A source never creates a task itself: `loops.spawn(name, factory)` runs it in the
    trigger's own group of the daemon's supervisor tree, so a crash is logged and the task
    restarts with backoff, and `hub.supervisor.running()` names it. The source cancels its
    tasks in `close()` (`await loops.cancel(name)`); intake cancels what is left when the
    trigger stops."""

    trigger: str
    get_checkpoint: Callable[[str], Awaitable[str | None]]
    log: FilteringBoundLogger
    extras: dict[str, Any] = field(default_factory=dict)
    loops: Supervisor = field(default_factory=Supervisor)


SourceFactory = Callable[[Any, SourceContext], Source]
