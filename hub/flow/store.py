"""The store's flow-controlled submit, beside its plain one (which flow-free functions keep)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from functools import partial
from typing import Protocol, TypeVar

from hub.flow import fold_ops, redrive_ops, stop_ops, store_ops
from hub.flow.outcome import FlowOutcome
from hub.flow.plan import Cancel, FlowPlan
from hub.flow.redrive_ops import Redrive, RedriveOutcome
from hub.invocation import NewInvocation
from hub.store.base import Checkpoint
from hub.store.connection import Op

T = TypeVar("T")


class _SqlStore(Protocol):
    """What the mixin needs of the store it is mixed into (hub/store/sqlbase.py)."""

    @property
    def dedup_window(self) -> float: ...
    def now(self) -> float: ...
    def _commit(self, op: Op[T]) -> Awaitable[T]: ...
    def _due(self, run_at: float) -> None: ...
    async def _read(self, op: Op[T]) -> T: ...


class FlowIntakeSql:
    """Mixed into SqlStore."""

    async def submit_flow(
        self: _SqlStore,
        items: Sequence[NewInvocation],
        plans: Sequence[FlowPlan | None],
        cancels: Sequence[Cancel],
        checkpoint: Checkpoint | None = None,
    ) -> FlowOutcome:
        now = self.now()
        outcome = await self._commit(
            partial(
                store_ops.submit,
                items=items,
                plans=plans,
                cancels=cancels,
                now=now,
                dedup_window=self.dedup_window,
                checkpoint=checkpoint,
            )
        )
        if outcome.earliest_due is not None:
            self._due(outcome.earliest_due)
        if outcome.stopped:
            self._due(now)  # a stopped one may have held back others of its ordering key
        return outcome

    async def redrive_flow(
        self: _SqlStore, items: Sequence[Redrive], *, strict: bool = False
    ) -> RedriveOutcome:
        now = self.now()
        outcome = await self._commit(
            partial(redrive_ops.redrive_each, items=items, now=now, strict=strict)
        )
        if any(outcome.queued) or outcome.stopped:
            self._due(now)
        return outcome

    async def stopped_among(self: _SqlStore, invocation_ids: Sequence[str]) -> list[str]:
        return await self._read(partial(stop_ops.stopped_among, inv_ids=invocation_ids))

    async def narrow_batch(self: _SqlStore, invocation_id: str, event: bytes) -> bool:
        return await self._commit(partial(fold_ops.narrow, inv_id=invocation_id, event=event))
