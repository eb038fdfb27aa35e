"""Stop or redrive every invocation a filter selects: batch by batch through the store's
bulk operations, each batch doing for each invocation what the single stop or redrive does
(invocation.py): a stop routes on_failure and aborts a running attempt here; a redrive
queues again with a fresh max_event_age."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import structlog

from hub import clock
from hub.config.functions import max_event_age_of
from hub.control.invocation import STOP_REASON, stop_routing
from hub.engine import Hub
from hub.invocation import Invocation
from hub.status import Condition, Status
from hub.store.bulk import BATCH, Selection
from hub.store.optional import matches_oldest_first

log = structlog.get_logger("hub.control")


@dataclass(slots=True, frozen=True)
class BulkResult:
    matched: int
    changed: int

    def to_dict(self) -> dict[str, int]:
        return {"matched": self.matched, "changed": self.changed}


# What a page of matched invocations gets: it does it to each, returns how many changed.
PageAction = Callable[[Hub, list[Invocation], float], Awaitable[int]]


async def stop_matching(
    hub: Hub, selection: Selection, *, dry_run: bool = False, batch: int = BATCH
) -> BulkResult:
    return await _each_page(hub, selection, _stop, "stopped", dry_run=dry_run, batch=batch)


async def redrive_matching(
    hub: Hub, selection: Selection, *, dry_run: bool = False, batch: int = BATCH
) -> BulkResult:
    """Oldest first, as the events were first submitted, so each key's singleton ends as
    resubmitting them in order would (skip: the oldest runs; cancel: the newest). Bounded by
    when it starts: what is created while it walks is not its to redrive."""
    started = clock.now()
    if selection.created_before is None or selection.created_before > started:
        selection = replace(selection, created_before=started)
    return await _each_page(
        hub,
        selection,
        _redrive,
        "redriven",
        dry_run=dry_run,
        batch=batch,
        oldest_first=matches_oldest_first(hub.store),
    )


async def _each_page(
    hub: Hub,
    selection: Selection,
    act: PageAction,
    done: str,
    *,
    dry_run: bool,
    batch: int,
    oldest_first: bool = False,
) -> BulkResult:
    if dry_run:
        return BulkResult(await hub.store.count_matching(selection), 0)
    matched = changed = 0
    cursor: str | None = None
    # A store kind of an earlier release takes no `oldest_first` (store/optional.py).
    order = {"oldest_first": True} if oldest_first else {}
    while page := await hub.store.match(selection, cursor, batch, **order):
        cursor = page[-1].id
        matched += len(page)
        changed += await act(hub, page, clock.now())
    log.info(f"invocations {done} by request", matched=matched, **{done: changed})
    return BulkResult(matched, changed)


async def _stop(hub: Hub, page: list[Invocation], now: float) -> int:
    routings = [stop_routing(hub.functions, inv, now) for inv in page]
    before = await hub.store.stop_each(
        [(inv.id, routing) for inv, routing in zip(page, routings, strict=True)], now
    )
    changed = 0
    for inv, routing, was in zip(page, routings, before, strict=True):
        if was is None:
            continue
        changed += 1
        if was is Status.RUNNING:
            hub.executor.cancel(inv.id)
        hub._on_final(inv, Status.STOPPED)
        hub.hooks.ended_with(inv, Condition.STOPPED, STOP_REASON, None, routing)
    return changed


async def _redrive(hub: Hub, page: list[Invocation], now: float) -> int:
    done = await hub.flow.redrive(  # each held to its singleton
        page,
        [now + max_event_age_of(hub.functions.get(inv.function)) for inv in page],
        strict=False,
    )
    return sum(done)
