"""The async store over any DB-API backend (hub/store/sqlbase.py), one aggregate at a time:
the invocations' methods here (their SQL in invocations.py, control.py and reads.py), the
outbox's and the positions' beside their SQL. Each method runs one operation and tells the
dispatcher or the destination loop when its commit made work due."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from hub.config.settings import DEFAULT_DEDUP_WINDOW
from hub.flow.store import FlowIntakeSql
from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store import attempts, control, invocations, reads
from hub.store.base import Checkpoint, ListQuery, Page, Routing, Submitted
from hub.store.bulk import SqlBulk
from hub.store.outbox import SqlOutbox
from hub.store.pauses import SqlPauses
from hub.store.positions import SqlPositions
from hub.store.ratelimits import SqlRateLimits
from hub.store.sqlbase import Committer
from hub.store.starts import PendingStarts
from hub.store.submit_lease import SubmitLeaser

__all__ = ["Committer", "SqlStore"]


class SqlStore(SqlOutbox, SqlPositions, SqlPauses, SqlBulk, SqlRateLimits, FlowIntakeSql):
    def __init__(self, dedup_window: float = DEFAULT_DEDUP_WINDOW) -> None:
        super().__init__(dedup_window)
        self._starts = PendingStarts()
        self._leaser: SubmitLeaser | None = None

    def lease_at_submit(self, leaser: SubmitLeaser) -> None:
        """Let submits lease what may start at once into `leaser`'s room (submit_lease.py)."""
        self._leaser = leaser

    async def submit(
        self,
        items: Sequence[NewInvocation],
        checkpoint: Checkpoint | None = None,
        *,
        checkpoints: Sequence[Checkpoint] = (),
    ) -> list[Submitted]:
        now = self.now()
        leaser = self._leaser
        lease = leaser.offer(len(items)) if leaser is not None and items else None
        settled = False

        def committed() -> None:
            # At the commit, not after the fsync: as soon as the dispatcher's lease could have
            # read the rows (an attempt lost in a crash before the fsync only runs again).
            nonlocal settled
            settled = True
            if leaser is not None and lease is not None:
                leaser.settle(lease, True)

        try:
            results = await self._commit(
                partial(
                    invocations.submit,
                    items=items,
                    now=now,
                    dedup_window=self.dedup_window,
                    checkpoint=checkpoint,
                    checkpoints=checkpoints,
                    lease=lease,
                ),
                on_commit=None if lease is None else committed,
            )
        finally:
            if leaser is not None and lease is not None and not settled:
                leaser.settle(lease, False)
        leased = 0 if lease is None else len(lease.leased)
        if items and sum(r.created for r in results) > leased:
            self._due(min(i.not_before for i in items))
        return results

    async def lease(
        self, owner: str, now: float, limit: int, lease_until: float
    ) -> tuple[list[Invocation], float | None]:
        return await self._commit_fast(
            partial(
                invocations.lease,
                owner=owner,
                now=now,
                limit=limit,
                lease_until=lease_until,
                lock=self.lock_clause,
            )
        )

    async def start(self, inv: Invocation, owner: str, now: float, run_until: float) -> None:
        queued = self._starts.queue(
            inv.id, owner=owner, now=now, run_until=run_until, attempt=inv.attempts + 1
        )
        self._writer.call_nowait(partial(self._starts.run, queued))

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
        done = await self._commit_fast(
            partial(
                attempts.finalize,
                inv_id=inv.id,
                owner=owner,
                now=now,
                status=status,
                condition=condition,
                error=error,
                response=response,
                routing=routing,
                dedup_window=self.dedup_window,
                started=self._starts.take(inv.id),
            )
        )
        self._announce(routing, now)
        if inv.ordering_key is not None or inv.priority is not None:
            self._due(now)  # the next invocation of its key may start now
        return done

    def _announce(self, routing: Routing, now: float) -> None:
        if routing.follow_ups:
            self._due(now)
        if routing.deliveries:
            self._outbox_due(now)

    async def retry(
        self, inv: Invocation, owner: str, now: float, next_at: float, error: str
    ) -> bool:
        done = await self._commit_fast(
            partial(
                attempts.retry, inv_id=inv.id, owner=owner, now=now, next_at=next_at, error=error
            )
        )
        if done:
            self._due(next_at)
        return done

    async def defer(self, inv: Invocation, owner: str, next_at: float, error: str) -> None:
        await self._commit_fast(
            partial(attempts.defer, inv_id=inv.id, owner=owner, next_at=next_at, error=error)
        )
        self._due(next_at)

    async def release(self, owner: str) -> int:
        now = self.now()
        count = await self._commit(partial(control.release, owner=owner, now=now))
        if count:
            self._due(now)
        return count

    async def stop(self, invocation_id: str, now: float, routing: Routing) -> Status:
        before = await self._commit(
            partial(
                control.stop,
                inv_id=invocation_id,
                now=now,
                routing=routing,
                dedup_window=self.dedup_window,
            )
        )
        self._announce(routing, now)
        self._due(now)  # it may have held back others of its ordering key
        return before

    async def redrive(self, invocation_id: str, now: float, deadline: float) -> None:
        await self._commit(
            partial(control.redrive, inv_id=invocation_id, now=now, deadline=deadline)
        )
        self._due(now)

    async def get(self, invocation_id: str) -> Invocation | None:
        return await self._read(partial(reads.get, inv_id=invocation_id))

    async def query(self, query: ListQuery) -> Page:
        return await self._read(partial(reads.list_page, query=query))

    async def purge(self, now: float, retention: float) -> int:
        total = 0
        while True:
            removed = await self._commit(partial(reads.purge, cutoff=now - retention, now=now))
            total += removed
            if removed == 0:
                return total

    async def counts(self) -> dict[str, int]:
        return await self._read(reads.counts)

    async def backlog(self, cap: int) -> int:
        return await self._read(partial(reads.backlog, cap=cap))
