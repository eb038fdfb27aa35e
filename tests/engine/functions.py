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


async def nul_reply(event: Event) -> Any:
    """Fails with a NUL character in its error, as a reply body can hold one."""
    calls[event.id] += 1
    raise RuntimeError("server said: \x00 bad")


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
    running_keys.clear()
    overlaps.clear()
    peak["concurrent"] = 0


running_keys: dict[str, int] = {}
overlaps: list[str] = []
peak = {"concurrent": 0}


async def ordered(event: Event) -> Any:
    """Records (key, seq); notes any moment two of one key run at once."""
    key = event.data["key"]
    running_keys[key] = running_keys.get(key, 0) + 1
    if running_keys[key] > 1:
        overlaps.append(key)
    peak["concurrent"] = max(peak["concurrent"], sum(running_keys.values()))
    try:
        # Yield a few times so that different keys really interleave.
        for _ in range(event.data["seq"] % 3 + 1):
            await asyncio.sleep(0)
        if event.data.get("fail_first") and calls[event.id] == 0:
            calls[event.id] += 1
            raise RuntimeError("first attempt fails")
        order.append((key, event.data["seq"]))
        return None
    finally:
        running_keys[key] -= 1
