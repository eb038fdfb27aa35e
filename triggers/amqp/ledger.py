"""Our own nacks per message, so the broker's delivery count can be read as failures.

A quorum queue counts every return of a message in `x-delivery-count`: a nack with requeue
(ours, after a failed durable submit, which is not the message's fault) as well as a channel
that died holding it (the daemon crashed, maybe because of it). Subtracting our nacks leaves
the deliveries that ended without a verdict: those feed the max_deliveries poison fuse. The
ledger is in memory and bounded: after a restart earlier nacks count as failures, which can only
make the fuse blow sooner, never let a message cycle for ever."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

LIMIT = 100_000


def message_key(message_id: str | None, routing_key: str, body: bytes) -> str:
    if message_id:
        return "id:" + message_id
    return "sha256:" + hashlib.sha256(routing_key.encode() + b"\0" + body).hexdigest()[:32]


class NackLedger:
    def __init__(self, limit: int = LIMIT) -> None:
        self._nacks: OrderedDict[str, int] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._nacks)

    def nacked(self, key: str) -> None:
        self._nacks[key] = self._nacks.pop(key, 0) + 1
        while len(self._nacks) > self._limit:
            self._nacks.popitem(last=False)

    def count(self, key: str) -> int:
        return self._nacks.get(key, 0)

    def settled(self, key: str) -> None:
        self._nacks.pop(key, None)
