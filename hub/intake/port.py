"""What intake may ask of the hub, and nothing more: the Hub satisfies it, and a test or a
bench may hand intake anything else that does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from hub.config.flow_lease import LeaseFlow
from hub.events import Event, WireEvent
from hub.flow.config import TriggerOrigin
from hub.store.base import Checkpoint, Submitted
from hub.store.health import StoreHealth
from hub.submission_together import Outcome, Submission
from hub.supervisor import Supervisor


class SourcePositions(Protocol):
    """Where a source's checkpoint and a single-reader source's lease are kept."""

    async def get_checkpoint(self, name: str) -> str | None: ...

    async def claim_source(self, name: str, owner: str, now: float, until: float) -> str:
        """Take or renew the lease; returns who holds it after."""

    async def release_source(self, name: str, owner: str) -> None: ...


class HubPort(Protocol):
    owner: str
    """Who holds a single-reader source's lease when this daemon does."""
    supervisor: Supervisor
    """Where intake starts its loops (in a group of its own)."""

    @property
    def positions(self) -> SourcePositions: ...

    @property
    def max_backlog(self) -> int:
        """Active invocations at which intake stops reading."""

    @property
    def lease_timeout(self) -> float:
        """How long a lease lasts unless renewed."""

    @property
    def store_health(self) -> StoreHealth:
        """Whether the store writes now; intake holds while it cannot."""

    async def backlog(self) -> int: ...

    async def submit_many(
        self,
        batches: Sequence[tuple[str, Sequence[Event | WireEvent]]],
        *,
        checkpoint: Checkpoint | None = None,
        source: str | None = None,
        flow: LeaseFlow | None = None,
        origin: TriggerOrigin | None = None,
    ) -> list[list[Submitted]]:
        """Submit events to several functions and move the source's checkpoint, in one
        commit (with no events, only the checkpoint moves); `source` is the trigger's name,
        `origin` the trigger with its own flow settings (hub/flow/config.py)."""

    async def submit_together(self, parts: Sequence[Submission]) -> list[Outcome]:
        """Several sources' batches, each with its own checkpoint, sharing one commit; one
        outcome per part (hub/submission_together.py)."""
