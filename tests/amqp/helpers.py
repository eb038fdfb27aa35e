"""Reading the hub's store from the AMQP tests."""

from __future__ import annotations

from hub import Hub
from hub.invocation import Invocation
from hub.store.base import InvocationStore, ListQuery
from tests.amqp import functions


async def all_invocations(source: Hub | InvocationStore, function: str = "f") -> list[Invocation]:
    out: list[Invocation] = []
    cursor: str | None = None
    while True:
        query = ListQuery(function=function, limit=1000, cursor=cursor)
        page = await source.query(query)
        out += page.items
        cursor = page.next_cursor
        if cursor is None:
            return out


def executed(count: int) -> bool:
    """The test functions ran at least `count` times (cheap enough to poll)."""
    return len(functions.state.events) >= count


async def idle(hub: Hub) -> bool:
    """Nothing queued, running or waiting for a retry: every invocation is final."""
    return not await hub.counts()
