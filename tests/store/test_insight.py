"""The console's reads (hub/store/insight.py), on every backend."""

from __future__ import annotations

import time

from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.store.base import InvocationStore, ListQuery
from hub.store.insight import (
    active_by_function,
    by_idempotency_key,
    window_by_source,
)


def item(function: str, source: str = "s", key: str | None = None) -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function=function,
        event=Event(type="t", source=source, data={"source": "not this one"}),
        not_before=now,
        deadline=now + 3600,
        idempotency_key=key,
    )


async def test_active_counts_per_function_and_status(store: InvocationStore) -> None:
    await store.submit([item("a"), item("a")])
    now = time.time()
    [leased], _ = await store.lease("o", now, 1, now + 60)
    await store.start(leased, "o", now, now + 60)
    await store.submit([item("b"), item("c")])
    await store.flush()
    counts = await active_by_function(store, ["a", "b", "d"])
    assert counts == {"a": {"queued": 1, "running": 1}, "b": {"queued": 1}, "d": {}}


async def test_find_by_idempotency_key(store: InvocationStore) -> None:
    [sub] = await store.submit([item("f", key="order-7")])
    assert await by_idempotency_key(store, "order-7", ["f", "g"]) == [sub.id]
    assert await by_idempotency_key(store, "order-7", ["g"]) == []


async def test_source_window_is_bounded_and_goes_on(store: InvocationStore) -> None:
    subs = await store.submit(
        [item("f", source="kafka://a" if n % 3 == 0 else "x") for n in range(9)]
    )
    wanted = sorted((s.id for n, s in enumerate(subs) if n % 3 == 0), reverse=True)
    # The event's data also has a "source" key: only the attribute counts.
    first = await window_by_source(store, ListQuery(limit=10), "kafka://a", window=4)
    assert [i.id for i in first.items] == wanted[:1] and not first.exhausted
    rest = await window_by_source(
        store, ListQuery(limit=10, cursor=first.lowest), "kafka://a", window=100
    )
    assert [i.id for i in rest.items] == wanted[1:] and rest.exhausted
