"""What an operator asks of a store beyond single invocations: pausing and resuming triggers
and functions (hub/store/pauses.py), and stopping or redriving many invocations by a filter
(hub/store/bulk.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from hub.invocation import Invocation
from hub.status import Status

if TYPE_CHECKING:
    from hub.store.base import Routing
    from hub.store.bulk import Selection
    from hub.store.pauses import Paused, PauseKind


class Pauses(Protocol):
    async def pause(self, kind: PauseKind, name: str) -> float:
        """Pause it (idempotent); returns when it was first paused."""

    async def resume(self, kind: PauseKind, name: str) -> bool:
        """Resume it; True if it was paused."""

    async def paused(self) -> list[Paused]: ...

    async def hand_back(self, inv: Invocation, owner: str) -> None:
        """Return a leased, unstarted invocation of a paused function to its queue."""


class Bulk(Protocol):
    async def match(
        self,
        selection: Selection,
        cursor: str | None,
        limit: int = ...,
        *,
        oldest_first: bool = False,
    ) -> list[Invocation]:
        """A batch of matching invocations older than `cursor`, newest first (with
        `oldest_first`: newer than `cursor`, oldest first)."""

    async def count_matching(self, selection: Selection) -> int: ...

    async def stop_each(
        self, items: Sequence[tuple[str, Routing]], now: float
    ) -> list[Status | None]:
        """Stop each (one durable commit); the status each had, None if it could not be."""

    async def redrive_each(self, items: Sequence[tuple[str, float]], now: float) -> list[bool]:
        """Redrive each (id, new deadline) in one durable commit."""
