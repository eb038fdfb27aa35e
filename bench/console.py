"""Web console page times on a big store: `python -m bench.console [--rows N] [--keep PATH]`.

Fills a SQLite store through the real store operations (1,000,000 invocations by default over
eight functions and the last two days: 92 % succeeded, 4 % failed, 1 % expired, 3 % queued for
later), starts the real daemon on it, and loads each console page 100 times in a row over
HTTP, as a browser would: the invocation list (unfiltered, filtered, an older page through a
cursor), a detail page, the overview, triggers and functions. Prints p50/p99 per page and
the load average, which bench/README.md records (the machine may be shared)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.stats import machine, ms, percentile, table
from hub.events import Event
from hub.ids import new_id
from hub.invocation import NewInvocation
from hub.status import Status
from hub.store import attempts, invocations
from hub.store.base import Routing
from hub.store.connection import Connection
from hub.store.sqlite import SqliteStore
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

BATCH = 5_000
FUNCTIONS = [f"fn{n}" for n in range(8)]
SPAN = 2 * 86400.0
LOADS = 100
GOALS = {"list": 0.100, "detail": 0.100, "overview": 0.200}
DATA = {"bucket": "uploads", "key": "images/2026/11/photo.jpg", "size": 482113}
OUTCOMES = (
    (0.92, Status.SUCCEEDED, "Success", None),
    (0.96, Status.FAILED, "RetriesExhausted", "RuntimeError: upstream answered 503"),
    (0.97, Status.EXPIRED, "EventAgeExceeded", "event older than max_event_age"),
)


def fill(path: Path, rows: int) -> list[str]:
    """Returns a sample of the ids, for detail pages."""
    rng = random.Random(7)
    conn = SqliteStore(path)._connect_writer()
    start, sample = time.time() - SPAN, []
    for first in range(0, rows, BATCH):
        now = start + SPAN * first / rows
        items = [_item(rng, now, first + n) for n in range(min(BATCH, rows - first))]
        conn.execute("BEGIN IMMEDIATE")
        invocations.submit(conn, items, now=now, dedup_window=3600.0)
        for item in items:
            _finish(conn, rng, item, now)
        conn.commit()
        sample.append(items[len(items) // 2].id)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sample


def _item(rng: random.Random, now: float, n: int) -> NewInvocation:
    later = now + 30 * 86400  # the queued ones wait, so the daemon leaves them alone
    return NewInvocation(
        id=new_id(now),
        function=rng.choice(FUNCTIONS),
        event=Event(
            type="object.created",
            source=f"s3://uploads/{n % 97}",
            subject=f"images/{n}.jpg",
            data={**DATA, "n": n},
        ),
        not_before=later,
        deadline=later + 86400,
        idempotency_key=f"bench:{n}",
    )


def _finish(conn: Connection, rng: random.Random, item: NewInvocation, now: float) -> None:
    roll = rng.random()
    for bound, status, condition, error in OUTCOMES:
        if roll < bound:
            lease = "UPDATE invocations SET lease_owner = 'bench' WHERE id = :id"
            conn.execute(lease, {"id": item.id})
            attempts.finalize(
                conn,
                inv_id=item.id, owner="bench", now=now + 0.05, status=status,
                condition=condition, error=error,
                response=b'{"width": 800}' if error is None else None,
                routing=Routing(), dedup_window=3600.0,
            )  # fmt: skip
            return


def config(workdir: Path, store: Path, port: int) -> Path:
    functions = "".join(
        f"  {name}: {{target: {{type: python, handler: 'benchfns:noop'}}}}\n" for name in FUNCTIONS
    )
    (workdir / "benchfns.py").write_text("async def noop(event):\n    return None\n")
    path = workdir / "triggers.yaml"
    path.write_text(
        f'hub:\n  store: {{url: "sqlite:///{store}", retention: 30d}}\n'
        f'  api: {{listen: "127.0.0.1:{port}"}}\n'
        f"functions:\n{functions}"
        "triggers:\n  ticker: {type: timer, function: fn0, schedule: '0 0 * * *', "
        "timezone: Europe/Berlin}\n"
    )
    return path


async def timed(session: aiohttp.ClientSession, url: str) -> float:
    t0 = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - t0


async def measure(base: str, sample: list[str]) -> list[tuple[str, str, list[float]]]:
    async with aiohttp.ClientSession() as session:
        middle = sample[len(sample) // 2]
        pages = [
            ("list", "list, unfiltered", "/ui/invocations"),
            ("list", "list, function", "/ui/invocations?function=fn3"),
            ("list", "list, function + failed", "/ui/invocations?function=fn3&status=failed"),
            ("list", "list, expired", "/ui/invocations?status=expired"),
            ("list", "list, queued", "/ui/invocations?status=queued"),
            ("list", "list, running (none)", "/ui/invocations?status=running"),
            ("list", "list, stopped (none)", "/ui/invocations?status=stopped"),
            ("list", "list, source filter (bounded scan)", "/ui/invocations?source=uploads/42"),
            ("list", "list, older page (cursor)", f"/ui/invocations?cursor={middle}"),
            ("list", "list, by idempotency key", "/ui/invocations?q=bench:4242"),
            ("overview", "overview", "/ui/"),
            ("list", "triggers", "/ui/triggers"),
            ("list", "functions", "/ui/functions"),
        ]
        out = []
        for kind, label, path in pages:
            await timed(session, base + path)  # the first load warms the page cache
            out.append((kind, label, [await timed(session, base + path) for _ in range(LOADS)]))
        details = [base + f"/ui/invocations/{inv_id}" for inv_id in sample]
        await timed(session, details[0])
        runs = [await timed(session, details[n % len(details)]) for n in range(LOADS)]
        out.append(("detail", "detail (100 different)", runs))
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="store file to fill once and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store = args.keep or workdir / "hub.db"
        sample_file = store.with_suffix(".sample")
        t0 = time.perf_counter()
        if store.exists() and sample_file.exists():
            sample, made = sample_file.read_text().split(), "reused"
        else:
            sample = fill(store, args.rows)
            sample_file.write_text("\n".join(sample))
            made = f"filled in {time.perf_counter() - t0:.0f} s"
        port = free_port()
        daemon = Daemon(config(workdir, store, port), workdir, api_port=port, ready_timeout=120)
        daemon.start()
        try:
            load_before = os.getloadavg()
            results = asyncio.run(measure(daemon.url, sample))
            load_after = os.getloadavg()
        finally:
            daemon.terminate()
    rows = [
        ("machine", machine()),
        ("store", f"{args.rows:,} invocations, {made}"),
    ]
    rows.append(
        ("load average (1 min) before / after", f"{load_before[0]:.2f} / {load_after[0]:.2f}")
    )
    for kind, label, values in results:
        verdict = "ok" if percentile(values, 99) < GOALS[kind] else "OVER GOAL"
        goal = GOALS[kind] * 1000
        rows.append(
            (
                label,
                f"p50 {ms(values, 50)}, p99 {ms(values, 99)} (goal p99 < {goal:.0f} ms) {verdict}",
            )
        )
    print(table(rows))


if __name__ == "__main__":
    main()
