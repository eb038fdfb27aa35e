"""The prepared store of `bench.bigstore`: N queued invocations (deferred 30 days: a backlog
the daemon keeps but does not run meanwhile) and N finished ones (succeeded now: inside the
retention, so the daemon keeps them), written through the store's own operations."""

from __future__ import annotations

import time
from pathlib import Path

from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store import attempts, invocations
from hub.store.base import Routing
from hub.store.sqlite import SqliteStore

BATCH = 10_000
DEFERRED = 30 * 86400.0
PAD = "x" * 200


def prepare(path: Path, queued: int, finished: int) -> None:
    """Fill `path` with `queued` deferred and `finished` succeeded invocations of `noop`."""
    conn = SqliteStore(path)._connect_writer()
    now = time.time()
    for start in range(0, queued + finished, BATCH):
        count = min(BATCH, queued + finished - start)
        done = start >= queued
        at = now if done else now + DEFERRED
        items = [
            NewInvocation(
                id=new_id(),
                function="noop",
                event=Event(type="t", source="/bench", data={"seq": start + n, "pad": PAD}),
                not_before=at,
                deadline=at + 86400,
            )
            for n in range(count)
        ]
        conn.execute("BEGIN IMMEDIATE")
        invocations.submit(conn, items, now=now, dedup_window=86400.0)
        if done:
            for item in items:
                lease = "UPDATE invocations SET lease_owner = 'bench' WHERE id = :id"
                conn.execute(lease, {"id": item.id})
                attempts.finalize(
                    conn, inv_id=item.id, owner="bench", now=now, status=Status.SUCCEEDED,
                    condition="Success", error=None, response=None, routing=Routing(),
                    dedup_window=86400.0,
                )  # fmt: skip
        conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
