"""The flow-controlled submit every store offers (its SQL in store_ops.py and the *_ops.py
beside it). Imports only for typing: the store's base protocol names it, and the store imports
this package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hub.flow.outcome import FlowOutcome
    from hub.flow.plan import Cancel, FlowPlan
    from hub.flow.redrive_ops import Redrive, RedriveOutcome
    from hub.invocation import NewInvocation
    from hub.store.base import Checkpoint


class FlowIntake(Protocol):
    async def submit_flow(
        self,
        items: Sequence[NewInvocation],
        plans: Sequence[FlowPlan | None],
        cancels: Sequence[Cancel],
        checkpoint: Checkpoint | None = None,
    ) -> FlowOutcome:
        """Like `submit`, with each item's flow plan (None: an ordinary submit) and the
        cancellations its events ask for, in one commit."""

    async def redrive_flow(
        self, items: Sequence[Redrive], *, strict: bool = False
    ) -> RedriveOutcome:
        """Queue each again (one commit) and hold it to its singleton; `strict`: one that
        cannot be redriven raises instead of counting as not queued."""

    async def stopped_among(self, invocation_ids: Sequence[str]) -> list[str]:
        """Those of `invocation_ids` that are stopped."""

    async def narrow_batch(self, invocation_id: str, event: bytes) -> bool:
        """Cut a running batch's event down to `event` (the events that failed), so its
        retry runs those alone; False if it is no longer running."""
