"""What a store kind written for an earlier release may lack, found by looking, not assumed:
such a store keeps working with what it has (each lack logged once), instead of failing on a
call it does not know. `lease_at_submit` is looked up the same way (hub/engine_loops.py)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import structlog

from hub.store.base import InvocationStore

log = structlog.get_logger("hub")

_known: dict[tuple[type, str, str], bool] = {}


def takes_checkpoints(store: InvocationStore) -> bool:
    """Whether `store.submit` commits several sources' checkpoints at once (`checkpoints=`);
    without it, batches that would share one commit are submitted each with its own."""
    return _takes(
        store,
        "submit",
        "checkpoints",
        "store submits one checkpoint at a time: batches of one instant commit apart",
    )


def matches_oldest_first(store: InvocationStore) -> bool:
    """Whether `store.match` walks oldest first on request (`oldest_first=`); without it a
    bulk redrive walks newest first."""
    return _takes(
        store,
        "match",
        "oldest_first",
        "store matches newest first only: a bulk redrive walks newest first",
    )


def _takes(store: InvocationStore, method: str, keyword: str, lacking: str) -> bool:
    """Whether `store.<method>` takes `keyword`: read once per store class, logged if not."""
    kind = type(store)
    known = _known.get((kind, method, keyword))
    if known is None:
        parameters = inspect.signature(getattr(store, method)).parameters.values()
        known = any(
            p.name == keyword or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters
        )
        _known[(kind, method, keyword)] = known
        if not known:
            log.info(lacking, store=kind.__qualname__)
    return known


def rate_purger(store: InvocationStore) -> Callable[[float], Awaitable[int]] | None:
    """`store.purge_rates`, or None (logged) for a store without rate buckets to purge."""
    purge: Callable[[float], Awaitable[int]] | None = getattr(store, "purge_rates", None)
    if purge is None:
        log.info(
            "store has no purge_rates: rate buckets are not purged", store=type(store).__qualname__
        )
    return purge
