"""A redrive under a singleton: the invocation is queued again as a new submit would be, so it
takes its key like one. In `skip` mode it yields to an active holder (recorded as stopped,
condition Skipped, with the holder's id); in `cancel` mode it replaces it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.errors import InvalidStateError, NotFoundError
from hub.flow import stop_ops
from hub.flow.outcome import Stopped
from hub.flow.plan import SingletonPlan
from hub.status import Condition
from hub.store import control
from hub.store.connection import Connection


@dataclass(slots=True, frozen=True)
class Redrive:
    """One invocation to queue again: its function, its new deadline, its singleton."""

    id: str
    function: str
    deadline: float
    singleton: SingletonPlan | None


@dataclass(slots=True)
class RedriveOutcome:
    queued: list[bool]
    """For each item: whether it is queued again (False: refused, or skipped)."""
    stopped: list[Stopped]
    """What the redrives made final: skipped redriven ones, cancelled holders."""


def redrive_each(
    conn: Connection, *, items: Sequence[Redrive], now: float, strict: bool
) -> RedriveOutcome:
    """`strict`: one that cannot be redriven raises (a single redrive) rather than counting
    as not queued (a bulk one)."""
    outcome = RedriveOutcome([], [])
    for item in items:
        try:
            control.redrive(conn, inv_id=item.id, now=now, deadline=item.deadline)
        except (InvalidStateError, NotFoundError):
            if strict:
                raise
            outcome.queued.append(False)
            continue
        outcome.queued.append(_hold(conn, item, outcome.stopped, now))
    return outcome


def _hold(conn: Connection, item: Redrive, stopped: list[Stopped], now: float) -> bool:
    if item.singleton is None:
        return True
    holder = stop_ops.singleton(conn, item, item.singleton, stopped, now)
    if holder is None:
        return True
    detail = f"singleton: yielded to {holder}"
    if stop_ops.stop(conn, item.id, "queued", Condition.SKIPPED, detail, now):
        stopped.append(Stopped(item.id, "queued", Condition.SKIPPED, detail))
    return False
