"""Stop or redrive every invocation a filter selects: batch by batch through the store's
bulk operations, each batch doing for each invocation what the single stop or redrive does
(invocation.py): a stop routes on_failure and aborts a running attempt here; a redrive
queues again with a fresh max_event_age."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from hub import clock
from hub.config.functions import max_event_age_of
from hub.control.invocation import STOP_REASON, stop_routing
from hub.engine import Hub
from hub.status import Condition, Status
from hub.store.bulk import BATCH, Selection

log = structlog.get_logger("hub.control")


@dataclass(slots=True, frozen=True)
class BulkResult:
    matched: int
    changed: int

    def to_dict(self) -> dict[str, int]:
        return {"matched": self.matched, "changed": self.changed}


async def stop_matching(
    hub: Hub, selection: Selection, *, dry_run: bool = False, batch: int = BATCH
) -> BulkResult:
    if dry_run:
        return BulkResult(await hub.store.count_matching(selection), 0)
    matched = changed = 0
    cursor: str | None = None
    while page := await hub.store.match(selection, cursor, batch):
        cursor = page[-1].id
        matched += len(page)
        now = clock.now()
        routings = [stop_routing(hub.functions, inv, now) for inv in page]
        before = await hub.store.stop_each(
            [(inv.id, routing) for inv, routing in zip(page, routings, strict=True)], now
        )
        for inv, routing, was in zip(page, routings, before, strict=True):
            if was is None:
                continue
            changed += 1
            if was is Status.RUNNING:
                hub.executor.cancel(inv.id)
            hub._on_final(inv, Status.STOPPED)
            hub.hooks.ended_with(inv, Condition.STOPPED, STOP_REASON, None, routing)
    log.info("invocations stopped by request", matched=matched, stopped=changed)
    return BulkResult(matched, changed)


async def redrive_matching(
    hub: Hub, selection: Selection, *, dry_run: bool = False, batch: int = BATCH
) -> BulkResult:
    if dry_run:
        return BulkResult(await hub.store.count_matching(selection), 0)
    matched = changed = 0
    cursor: str | None = None
    while page := await hub.store.match(selection, cursor, batch):
        cursor = page[-1].id
        matched += len(page)
        now = clock.now()
        done = await hub.flow.redrive(  # each held to its singleton
            page,
            [now + max_event_age_of(hub.functions.get(inv.function)) for inv in page],
            strict=False,
        )
        changed += sum(done)
    log.info("invocations redriven by request", matched=matched, redriven=changed)
    return BulkResult(matched, changed)
