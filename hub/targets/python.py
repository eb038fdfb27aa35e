"""`python` target: `package.module:callable`, async or sync, called with the Event."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from hub.config.functions import PythonTarget
from hub.errors import ConfigError, FunctionError
from hub.events import Event
from hub.targets.base import TargetResult


def resolve(handler: str) -> Callable[..., Any]:
    module_name, _, attr = handler.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"python handler {handler!r}: cannot import {module_name!r}: {exc}"
        ) from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"python handler {handler!r}: {module_name} has no callable {attr!r}")
    return fn  # type: ignore[no-any-return]


class PythonCallable:
    def __init__(self, config: PythonTarget) -> None:
        self._fn = resolve(config.handler)
        self._is_async = inspect.iscoroutinefunction(self._fn)

    async def __call__(self, event: Event) -> TargetResult:
        try:
            if self._is_async:
                payload = await self._fn(event)
            else:
                # A thread cannot be cancelled: on stop or timeout the attempt is abandoned and
                # the thread runs to its end in the background.
                payload = await asyncio.to_thread(self._fn, event)
        except FunctionError:
            raise
        except Exception as exc:
            raise FunctionError(f"{type(exc).__name__}: {exc}") from exc
        return TargetResult(payload=payload)

    async def close(self) -> None:
        return None
