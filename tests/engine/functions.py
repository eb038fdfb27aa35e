"""Functions the engine tests invoke (python targets resolve them by import path)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from hub import Event, NonRetryableError, RetryAfter

calls: defaultdict[str, int] = defaultdict(int)
started: dict[str, asyncio.Event] = {}
order: list[Any] = []


async def echo(event: Event) -> Any:
    calls[event.id] += 1
    order.append(event.data)
    return {"echo": event.data}


def sync_echo(event: Event) -> Any:
    calls[event.id] += 1
    return {"sync": event.data}


async def flaky(event: Event) -> Any:
    """Fails `data["fail"]` times, then succeeds."""
    calls[event.id] += 1
    if calls[event.id] <= event.data["fail"]:
        raise RuntimeError(f"failure {calls[event.id]}")
    return {"attempts": calls[event.id]}


async def refuse(event: Event) -> Any:
    calls[event.id] += 1
    raise NonRetryableError("bad input: cannot ever succeed")


async def later(event: Event) -> Any:
    calls[event.id] += 1
    if calls[event.id] == 1:
        raise RetryAfter(event.data["after"])
    return "ok"


async def hang(event: Event) -> Any:
    calls[event.id] += 1
    started.setdefault(event.id, asyncio.Event()).set()
    await asyncio.Event().wait()


async def big(event: Event) -> Any:
    return "x" * 10_000


async def sink(event: Event) -> Any:
    """A destination function: records what it was sent."""
    order.append(event.data)
    return None


def reset() -> None:
    calls.clear()
    started.clear()
    order.clear()
