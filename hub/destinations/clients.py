"""A destination's connected clients (a Kafka producer, an AMQP connection), one per key (the
bootstrap servers, the URL) and event loop, opened once however many deliveries wait for it
and replaced when it is no longer usable. For plugins' deliverers, so none hand-rolls it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

import structlog

log = structlog.get_logger("hub.destinations")
Client = TypeVar("Client")


@dataclass(slots=True)
class _LoopClients(Generic[Client]):
    by_key: dict[str, Client] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


class ClientCache(Generic[Client]):
    """`open(key)` connects a client, `usable(client)` says whether it may be reused,
    `close(client)` closes it (its errors are logged, not raised). A client belongs to the
    event loop that opened it: each test (or embedded Hub) runs its own loop."""

    def __init__(
        self,
        what: str,
        open: Callable[[str], Awaitable[Client]],
        usable: Callable[[Client], bool],
        close: Callable[[Client], Awaitable[None]],
    ) -> None:
        self._what = what
        self._open = open
        self._usable = usable
        self._close = close
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients[Client]] = (
            WeakKeyDictionary()
        )

    async def get(self, key: str) -> Client:
        mine = self._loops.setdefault(asyncio.get_running_loop(), _LoopClients())
        current = mine.by_key.get(key)
        if current is not None and self._usable(current):
            return current
        async with mine.locks.setdefault(key, asyncio.Lock()):  # one open, however many wait
            current = mine.by_key.get(key)
            if current is not None and self._usable(current):
                return current
            if current is not None:
                del mine.by_key[key]
                await self._close_quietly(current)
            mine.by_key[key] = current = await self._open(key)
            return current

    async def drop(self, key: str) -> None:
        """Close the key's client: one in an unknown state (a failed send) is not reused."""
        mine = self._loops.get(asyncio.get_running_loop())
        client = mine.by_key.pop(key, None) if mine is not None else None
        if client is not None:
            await self._close_quietly(client)

    async def close_all(self) -> None:
        """Close this event loop's clients (on shutdown, and between tests)."""
        mine = self._loops.pop(asyncio.get_running_loop(), None)
        if mine is not None:
            for client in mine.by_key.values():
                await self._close_quietly(client)

    async def _close_quietly(self, client: Client) -> None:
        try:
            await self._close(client)
        except Exception as exc:
            log.debug(f"closing a {self._what} failed", error=repr(exc))
