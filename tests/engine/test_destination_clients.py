"""The client cache every connected destination uses: one open per key however many
deliveries wait, a client that is no longer usable replaced, one dropped after a failure
closed, and each event loop's clients its own."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from hub.destinations.clients import ClientCache


@dataclass
class Connection:
    key: str
    closed: bool = False


class Broker:
    """Counts what the cache opens and closes (a connection here is a plain object)."""

    def __init__(self) -> None:
        self.opened: list[Connection] = []
        self.gate = asyncio.Event()

    async def open(self, key: str) -> Connection:
        await self.gate.wait()  # connecting takes a while: others ask meanwhile
        connection = Connection(key)
        self.opened.append(connection)
        return connection

    async def close(self, connection: Connection) -> None:
        connection.closed = True
        raise OSError("already gone")  # logged, not raised: closing is best effort


def cache(broker: Broker) -> ClientCache[Connection]:
    return ClientCache("test connection", broker.open, lambda c: not c.closed, broker.close)


async def test_one_open_per_key_however_many_wait() -> None:
    broker = Broker()
    clients = cache(broker)
    waiting = [asyncio.ensure_future(clients.get("a")) for _ in range(5)]
    waiting.append(asyncio.ensure_future(clients.get("b")))
    await asyncio.sleep(0)
    broker.gate.set()
    got = await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    assert [c.key for c in broker.opened] == ["a", "b"]
    assert all(c is got[0] for c in got[:5])


async def test_an_unusable_client_is_replaced_and_a_dropped_one_closed() -> None:
    broker = Broker()
    broker.gate.set()
    clients = cache(broker)
    first = await clients.get("a")
    first.closed = True  # the broker went away
    second = await clients.get("a")
    assert second is not first
    await clients.drop("a")  # a failed publish: the client's state is unknown
    assert second.closed
    third = await clients.get("a")
    assert third not in (first, second)
    await clients.close_all()
    assert third.closed and len(broker.opened) == 3


def test_each_event_loop_has_its_own_clients() -> None:
    broker = Broker()
    broker.gate.set()
    clients = cache(broker)
    one = asyncio.run(clients.get("a"))
    other = asyncio.run(clients.get("a"))
    assert one is not other
