"""Work grows, cost does not: `python -m bench.bigstore [--queued N] [--finished N] [--keep PATH]`
prepares a SQLite store holding N queued invocations (deferred 30 days: a backlog the daemon
keeps but does not run meanwhile) and N finished ones (succeeded now: inside the retention, so
the daemon keeps them), through the store's own operations; then runs a light equivalent of
the HTTP throughput goals against a daemon on an empty store and on the prepared one:

- 32 concurrent clients POSTing single events (265 bytes of data) to a no-op python function:
  end-to-end invocations/s and the daemon's CPU per invocation;
- one sequential client: the same, and the submit round trip's p50;
- paced 200/s: submit-to-start p50 / p99 (from the client's clock before the POST to the
  function's start, both on this machine);
- the daemon's RSS after opening the store and at the end.

`--keep PATH` builds the prepared store there once and copies it for each run."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

from bench.batch import process_cpu
from bench.bigstore_prepare import PAD, prepare
from bench.noop_daemon import noop_config, sqlite_url
from bench.postgres import CLIENTS, load_average, shared_dir
from bench.stats import machine, ms, table
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

FUNCTION = """\
import time

_starts = open("starts.txt", "a", buffering=1)


async def handle(event):
    sent = event.data.get("sent")
    if sent is not None:
        _starts.write(f"{time.time() - sent}\\n")
"""
JSON = {"Content-Type": "application/json"}


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def body(**extra: float) -> bytes:
    return orjson.dumps({"ts": time.time(), "seq": 0, "pad": PAD, **extra})


async def idle(db: Path) -> None:
    """Until no invocation due within a day is active: what the load queued has run (the
    prepared backlog is deferred further)."""
    soon = time.time() + 86400
    query = "SELECT 1 FROM invocations WHERE run_at IS NOT NULL AND run_at < ? LIMIT 1"
    while True:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            if conn.execute(query, (soon,)).fetchone() is None:
                return
        await asyncio.sleep(0.05)


async def measure(url: str, pid: int, db: Path, starts: Path, n: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as http:

        async def post(data: bytes) -> None:
            async with http.post(url, data=data, headers=JSON) as resp:
                if resp.status != 202:
                    raise RuntimeError(f"POST -> {resp.status} {(await resp.read())[:200]!r}")

        left = n

        async def client() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await post(payload)

        payload = body()
        for _ in range(200):  # warm-up
            await post(payload)
        await idle(db)
        cpu0, t0 = process_cpu(pid), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        await idle(db)
        seconds = time.perf_counter() - t0
        cpu = process_cpu(pid) - cpu0
        rows.append(("32 clients", f"{n / seconds:,.0f} e2e/s, {cpu / n * 1e6:,.0f} µs/inv"))

        seq = n // 4
        trips = []
        cpu0, t0 = process_cpu(pid), time.perf_counter()
        for _ in range(seq):
            t = time.perf_counter()
            await post(payload)
            trips.append(time.perf_counter() - t)
        await idle(db)
        seconds = time.perf_counter() - t0
        cpu = process_cpu(pid) - cpu0
        rows.append(
            (
                "1 sequential client",
                f"{seq / seconds:,.0f} e2e/s, {cpu / seq * 1e6:,.0f} µs/inv, "
                f"round trip p50 {ms(trips, 50)}",
            )
        )

        _reset(starts)
        paced, begin = 1000, time.perf_counter()
        pending = []
        for k in range(paced):
            await asyncio.sleep(max(0.0, begin + k / 200 - time.perf_counter()))
            pending.append(asyncio.ensure_future(post(body(sent=time.time()))))
        await asyncio.gather(*pending)
        await idle(db)
        lat = _latencies(starts)
        rows.append(
            ("paced 200/s submit-to-start", f"p50 {ms(lat, 50)} / p99 {ms(lat, 99)} ({len(lat)})")
        )
    return rows


async def scenario(work: Path, db: Path, label: str, n: int) -> list[tuple[str, str]]:
    (work / "benchfn.py").write_text(FUNCTION)
    port = free_port()
    config = work / "triggers.yaml"
    config.write_text(noop_config(sqlite_url(db), port))
    daemon = Daemon(config, work, {"PYTHONPATH": str(work)}, api_port=port, ready_timeout=120)
    daemon.start()
    try:
        opened = rss_mib(daemon.pid)
        url = f"{daemon.url}/v1/functions/noop/invocations"
        rows = await measure(url, daemon.pid, db, work / "starts.txt", n)
        rss = f"{opened:.0f} MiB after open, {rss_mib(daemon.pid):.0f} MiB at the end"
        rows.append(("daemon RSS", rss))
    finally:
        daemon.terminate()
    return [(f"{label}: {k}", v) for k, v in rows]


async def run(n: int, work: Path, prepared: Path) -> list[tuple[str, str]]:
    rows = []
    for label, source in (("empty store", None), ("prepared store", prepared)):
        home = work / label.replace(" ", "-")
        db = _copy(home, source)
        measured = await scenario(home, db, label, n)
        print(table(measured), flush=True)
        rows += measured
    return rows


def _copy(home: Path, source: Path | None) -> Path:
    home.mkdir()
    db = home / "hub.db"
    if source is not None:
        shutil.copyfile(source, db)
    return db


def _reset(path: Path) -> None:
    path.write_text("")


def _latencies(path: Path) -> list[float]:
    return [float(v) for v in path.read_text().split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queued", type=int, default=1_000_000)
    parser.add_argument("--finished", type=int, default=1_000_000)
    parser.add_argument("--n", type=int, default=8_000, help="invocations of the 32 clients")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the prepared store here")
    args = parser.parse_args()
    rows = [("machine", machine()), ("load average at start", load_average())]
    with tempfile.TemporaryDirectory() as tmp:
        work = shared_dir(Path(tmp))
        prepared: Path = args.keep or work / "prepared.db"
        if not prepared.exists():
            t0 = time.perf_counter()
            prepare(prepared, args.queued, args.finished)
            spent = time.perf_counter() - t0
            size = prepared.stat().st_size / 2**20
            what = f"{args.queued:,} queued + {args.finished:,} finished"
            rows.append(("prepared", f"{what} in {spent:.0f} s, {size:,.0f} MiB"))
            print(table(rows), flush=True)
        rows += asyncio.run(run(args.n, work, prepared))
    rows.append(("load average at end", load_average()))
    print(table(rows))


if __name__ == "__main__":
    main()
