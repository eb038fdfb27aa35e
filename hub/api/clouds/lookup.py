"""Finding an invocation by the id a cloud's client knows it by: the hub's invocation id, or
the caller's own task id (which the hub keeps as the idempotency key)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from hub.api.listing import MAX_LIMIT, is_invocation_id
from hub.api.state import context
from hub.errors import NotFoundError
from hub.invocation import Invocation
from hub.store.base import ListQuery


async def find_invocation(request: web.Request, function: str, task_id: str) -> Invocation | None:
    hub = context(request).hub
    if is_invocation_id(task_id):
        try:
            inv = await hub.get(task_id)
        except NotFoundError:
            inv = None
        if inv is not None and inv.function == function:
            return inv
    # A caller's task id: the hub lists by function, not by key, so the function's records
    # are searched (newest first, where a task just submitted is).
    async for inv in invocations(request, ListQuery(function=function, limit=MAX_LIMIT)):
        if inv.idempotency_key == task_id:
            # Listed records leave out the history; the record read by id has it.
            return await hub.get(inv.id)
    return None


async def invocations(request: web.Request, query: ListQuery) -> AsyncIterator[Invocation]:
    """Every invocation the query matches, newest first, page after page."""
    hub = context(request).hub
    cursor = query.cursor
    while True:
        page = await hub.query(
            ListQuery(
                function=query.function,
                status=query.status,
                created_after=query.created_after,
                created_before=query.created_before,
                limit=query.limit,
                cursor=cursor,
            )
        )
        for inv in page.items:
            yield inv
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
