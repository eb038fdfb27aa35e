"""Ordering keys: one invocation at a time per key, in submission order; keys run in parallel."""

from __future__ import annotations

import asyncio

from hub import Event, Status
from tests.engine import functions
from tests.engine.conftest import MakeHub, fn


def ev(key: str, seq: int, **data: object) -> Event:
    return Event(type="t", source="s", data={"key": key, "seq": seq, **data}, ordering_key=key)


async def test_same_key_in_order_different_keys_in_parallel(make_hub: MakeHub) -> None:
    keys = ["a", "b", "c", "d"]
    async with make_hub({"o": fn("ordered", concurrency=16)}) as hub:
        subs = []
        for seq in range(25):
            # Interleaved submits, several per commit, as a partitioned source produces them.
            subs += await hub.submit("o", [ev(k, seq) for k in keys])
        done = await asyncio.gather(*(hub.wait(s.id, timeout=30) for s in subs))
    assert all(inv.status is Status.SUCCEEDED for inv in done)
    assert functions.overlaps == []
    for key in keys:
        assert [seq for k, seq in functions.order if k == key] == list(range(25))
    assert functions.peak["concurrent"] > 1  # keys did run side by side


async def test_a_retrying_head_holds_back_the_rest_of_its_key(make_hub: MakeHub) -> None:
    async with make_hub({"o": fn("ordered")}) as hub:
        subs = await hub.submit("o", [ev("k", 0, fail_first=True), ev("k", 1), ev("other", 0)])
        done = [await hub.wait(s.id, timeout=10) for s in subs]
    assert [inv.status for inv in done] == [Status.SUCCEEDED] * 3
    assert done[0].attempts == 2
    assert [e for e in functions.order if e[0] == "k"] == [("k", 0), ("k", 1)]
    assert done[1].started_at is not None and done[0].finished_at is not None
    assert done[1].started_at >= done[0].finished_at


async def test_ordering_key_round_trips_on_the_event() -> None:
    event = ev("k", 1)
    again = Event.from_json(event.to_json())
    assert again == event and again.ordering_key == "k"
