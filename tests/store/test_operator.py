"""The store's operator side on every backend: a paused function's invocations are never
leased; bulk actions read and change a bounded batch at a time, each batch one commit."""

from __future__ import annotations

import asyncio
import time

from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store.base import InvocationStore, Routing
from hub.store.bulk import Selection

FAR = time.time() + 3600


def item(function: str, source: str = "s", delay: float = 0.0, data: object = 1) -> NewInvocation:
    now = time.time()
    return NewInvocation(
        id=new_id(),
        function=function,
        event=Event(type="t", source=source, data=data),
        not_before=now + delay,
        deadline=now + delay + 3600,
    )


async def test_a_paused_function_is_never_leased_and_its_queue_is_kept(
    store: InvocationStore,
) -> None:
    first = await store.pause("function", "held")
    assert await store.pause("function", "held") == first  # idempotent, keeps the first time
    subs = await store.submit([item("held") for _ in range(5)] + [item("free")])
    leased, _ = await store.lease("me", time.time(), 100, FAR)
    assert [inv.function for inv in leased] == ["free"]
    assert [(p.kind, p.name) for p in await store.paused()] == [("function", "held")]

    assert await store.resume("function", "held") is True
    assert await store.resume("function", "held") is False
    leased, _ = await store.lease("me", time.time(), 100, FAR)
    assert sorted(inv.id for inv in leased) == sorted(s.id for s in subs[:5])


async def test_a_handed_back_invocation_is_queued_as_it_was(store: InvocationStore) -> None:
    [sub] = await store.submit([item("f")])
    [inv], _ = await store.lease("me", time.time(), 10, FAR)
    await store.pause("function", "f")
    await store.hand_back(inv, "me")
    back = await store.get(sub.id)
    assert back is not None
    assert (back.status, back.attempts, back.lease_owner) == (Status.QUEUED, 0, None)
    await store.resume("function", "f")
    [again], _ = await store.lease("me", time.time(), 10, FAR)
    assert again.id == sub.id


async def test_matching_pages_newest_first_by_function_status_and_source(
    store: InvocationStore,
) -> None:
    ours = await store.submit([item("f", source="kafka://orders") for _ in range(7)])
    await store.submit([item("f", source="kafka://other"), item("g", source="kafka://orders")])
    # Data the source filter must read past, whatever it holds.
    ours += await store.submit([item("f", source="kafka://orders", data="nul \x00 here")])
    selection = Selection(
        statuses=frozenset({Status.QUEUED}), function="f", source="kafka://orders"
    )
    assert await store.count_matching(selection) == 8
    seen: list[str] = []
    cursor: str | None = None
    while page := await store.match(selection, cursor, 3):
        assert len(page) <= 3
        seen += [inv.id for inv in page]
        cursor = page[-1].id
    assert seen == sorted((s.id for s in ours), reverse=True)


async def test_stop_each_and_redrive_each_skip_what_no_longer_qualifies(
    store: InvocationStore,
) -> None:
    subs = await store.submit([item("f") for _ in range(3)])
    now = time.time()
    await store.stop(subs[0].id, now, Routing())  # stopped already: the bulk stop skips it
    before = await store.stop_each([(s.id, Routing()) for s in subs], now)
    assert before == [None, Status.QUEUED, Status.QUEUED]
    done = await store.redrive_each([(s.id, now + 60) for s in subs[:2]] + [("nope", 0)], now)
    assert done == [True, True, False]
    statuses = [(await store.get(s.id)).status for s in subs]  # type: ignore[union-attr]
    assert statuses == [Status.QUEUED, Status.QUEUED, Status.STOPPED]


async def test_submits_go_on_between_the_batches_of_a_bulk_action(
    store: InvocationStore,
) -> None:
    """A big action is many short commits: a submit waits for one batch, not for all."""
    subs = await store.submit([item("f", delay=600) for _ in range(2000)])
    selection = Selection(statuses=frozenset({Status.QUEUED}), function="f")
    interleaved: list[int] = []
    done = 0

    async def bulk() -> None:
        nonlocal done
        cursor: str | None = None
        while page := await store.match(selection, cursor, 100):
            cursor = page[-1].id
            await store.stop_each([(inv.id, Routing()) for inv in page], time.time())
            done += len(page)

    async def submits() -> None:
        while done < len(subs):
            await store.submit([item("g")])
            interleaved.append(done)
            await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(bulk(), submits()), timeout=60)
    assert done == len(subs)
    assert any(0 < d < len(subs) for d in interleaved), interleaved
