"""Leasing at submit: an invocation submitted while the dispatcher has room and nothing else
is due is leased by its submit's own commit, instead of by a lease that the submit's commit
wakes the dispatcher for (a second commit, a wake-up and the rows read back).

Only what the plain lease would take at once, and in the order it would: nothing else due
(so nothing older is overtaken), due now (not deferred), without an ordering key (the head
of its key is the lease's to judge) or flow control (the flow lease's), and not of a paused
function (read in the same transaction, as the lease reads it). Everything else is left
queued for the dispatcher, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.invocation import Invocation, NewInvocation
from hub.status import Status
from hub.store import pauses
from hub.store.connection import Connection
from hub.store.rows import NEW_EVENT, NEW_OWNER, NEW_RUN_AT

_ANY_DUE = "SELECT 1 FROM invocations WHERE run_at <= :now LIMIT 1"


@dataclass(slots=True)
class SubmitLease:
    """Room the dispatcher offers one submit: up to `limit` of its invocations, leased to
    `owner` until `lease_until`; `leased` holds them once the submit has run."""

    owner: str
    limit: int
    lease_until: float
    leased: list[Invocation] = field(default_factory=list)


class SubmitLeaser(Protocol):
    """The dispatcher's side (hub/dispatcher.py)."""

    def offer(self, count: int) -> SubmitLease | None:
        """Room for up to `count` invocations, held for this submit; None if none now."""

    def settle(self, lease: SubmitLease, committed: bool) -> None:
        """The submit is over: queue what it leased if it committed, and give the room back."""


def lease_new(
    conn: Connection,
    lease: SubmitLease,
    items: Sequence[NewInvocation],
    rows: list[list[Any]],
    now: float,
) -> None:
    """Lease `items` (to be inserted as `rows`) that may start now, before they are inserted:
    their rows are written leased."""
    lease.leased = []  # the op may run again alone after its batch failed
    eligible = [
        n
        for n, item in enumerate(items)
        if item.not_before <= now and item.ordering_key is None and item.flow is None
    ]
    if not eligible or conn.execute(_ANY_DUE, {"now": now}).fetchone() is not None:
        return
    _, paused = pauses.lease_filter(conn)
    held = set(paused.values())
    for n in eligible:
        item, row = items[n], rows[n]
        if item.function in held:
            continue
        row[NEW_RUN_AT] = lease.lease_until
        row[NEW_OWNER] = lease.owner
        lease.leased.append(_leased(item, row, now, lease.owner))
        if len(lease.leased) >= lease.limit:
            return


def _leased(item: NewInvocation, row: list[Any], now: float, owner: str) -> Invocation:
    """What the lease would read back of the row."""
    return Invocation(
        id=item.id,
        function=item.function,
        status=Status.QUEUED,
        event_json=row[NEW_EVENT],
        attempts=0,
        invoke_count=0,
        created_at=now,
        not_before=item.not_before,
        deadline=item.deadline,
        idempotency_key=item.idempotency_key,
        lease_owner=owner,
    )
