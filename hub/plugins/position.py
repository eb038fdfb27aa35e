"""A source whose position (an offset, a resume token, file positions) is committed with the
invocations of its batches: `Batch.checkpoint` carries it, the hub commits it with them.

Such a source needs no nack of its own: `read_again` is the default. What was read past the
committed position is forgotten and read again from there, so the source itself is the buffer
and nothing held only in memory can be lost. A source passes what forgetting means for it (close
a cursor, rewind a file tailer, drop a paging token)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

from structlog.typing import FilteringBoundLogger

from hub.plugins.contract import SourceContext
from hub.store.base import Checkpoint

T = TypeVar("T")
Forget = Callable[[], Awaitable[None] | None]

__all__ = ["Checkpoint", "read_again", "stored_position"]


def read_again(
    log: FilteringBoundLogger, what: str, forget: Forget
) -> Callable[[str], Awaitable[None]]:
    """The nack of a source with a committed position: say so, then `forget`, so the next read
    starts again at the committed position. `what` names the batch's items (`lines`)."""

    async def nack(reason: str) -> None:
        log.warning(f"batch not enqueued; reading its {what} again", reason=reason)
        outcome = forget()
        if inspect.isawaitable(outcome):
            await outcome

    return nack


async def stored_position(
    context: SourceContext, name: str, decode: Callable[[str], T]
) -> T | None:
    """The position committed under `name`, decoded; None when there is none. One that cannot be
    decoded is logged and taken as none (the trigger starts as on its first start): a damaged
    position never blocks a trigger. `decode` raises ValueError for what it cannot read."""
    stored = await context.get_checkpoint(name)
    if stored is None:
        return None
    try:
        return decode(stored)
    except ValueError as exc:
        context.log.error("ignoring an unreadable stored position", checkpoint=name, error=str(exc))
        return None
