"""A blocking call that may be abandoned: the SQS long poll.

`asyncio.to_thread` would do, except that a cancelled read leaves its thread polling for up to
20 s, and `asyncio.run` joins the default executor's threads at exit: every SIGTERM would wait
out the poll. Here the call runs in a daemon thread instead; if the awaiting task is cancelled,
whatever the call still returns goes to `orphan` (the source makes those messages visible again
at once) rather than waiting out their visibility timeout. If the process exits first, they
come back after it, as after a crash."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def abandonable(call: Callable[[], T], orphan: Callable[[T], None]) -> T:
    result: concurrent.futures.Future[T] = concurrent.futures.Future()

    def work() -> None:
        try:
            value = call()
        except Exception as exc:  # handed to the awaiting task, if it still waits
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                result.set_exception(exc)
            return
        try:
            result.set_result(value)
        except concurrent.futures.InvalidStateError:  # cancelled: the reader is gone
            orphan(value)

    threading.Thread(target=work, name="object-storage-poll", daemon=True).start()
    # Cancelling the awaiting task cancels `result` too (wrap_future links them).
    return await asyncio.wrap_future(result)
