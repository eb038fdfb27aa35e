"""What a store kind written for an earlier release may lack, found by looking, not assumed:
such a store keeps working with what it has (each lack logged once), instead of failing on a
call it does not know. `lease_at_submit` is looked up the same way (hub/engine_loops.py)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import structlog

from hub.store.base import InvocationStore

log = structlog.get_logger("hub")

_checkpoints_of: dict[type, bool] = {}


def takes_checkpoints(store: InvocationStore) -> bool:
    """Whether `store.submit` commits several sources' checkpoints at once (`checkpoints=`);
    without it, batches that would share one commit are submitted each with its own."""
    kind = type(store)
    known = _checkpoints_of.get(kind)
    if known is None:
        parameters = inspect.signature(store.submit).parameters.values()
        known = any(
            p.name == "checkpoints" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
        )
        _checkpoints_of[kind] = known
        if not known:
            log.info(
                "store submits one checkpoint at a time: batches of one instant commit apart",
                store=kind.__qualname__,
            )
    return known


def rate_purger(store: InvocationStore) -> Callable[[float], Awaitable[int]] | None:
    """`store.purge_rates`, or None (logged) for a store without rate buckets to purge."""
    purge: Callable[[float], Awaitable[int]] | None = getattr(store, "purge_rates", None)
    if purge is None:
        log.info(
            "store has no purge_rates: rate buckets are not purged", store=type(store).__qualname__
        )
    return purge
