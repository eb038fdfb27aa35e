"""`python` target: `package.module:callable`, async or sync, called with the Event."""

from __future__ import annotations

import asyncio
import inspect

from hub.config.functions import PythonTarget
from hub.config.handlers import import_handler
from hub.errors import FunctionError
from hub.events import WireEvent
from hub.targets.base import TargetResult


class PythonCallable:
    def __init__(self, config: PythonTarget) -> None:
        self._fn = import_handler(config.handler)
        self._is_async = inspect.iscoroutinefunction(self._fn)

    async def __call__(self, event: WireEvent) -> TargetResult:
        try:
            if self._is_async:
                payload = await self._fn(event.event)
            else:
                # A thread cannot be cancelled: on stop or timeout the attempt is abandoned and
                # the thread runs to its end in the background.
                payload = await asyncio.to_thread(self._fn, event.event)
        except FunctionError:
            raise
        except Exception as exc:
            raise FunctionError(f"{type(exc).__name__}: {exc}") from exc
        return TargetResult(payload=payload)

    async def close(self) -> None:
        return None
