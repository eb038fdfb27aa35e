"""The HTTP benchmark on PostgreSQL: `python -m bench.postgres [--n N]` starts a throwaway
PostgreSQL 15 cluster (as the tests do, but with fsync on) and runs the same load against one
SQLite daemon, one PostgreSQL daemon and two daemons sharing the PostgreSQL store: 32
concurrent HTTP clients POST single events (265 bytes of data, as in the peer harness) to a
no-op python function, round-robin over the daemons, and the run ends when every invocation
has succeeded. It prints end-to-end invocations/s and CPU per invocation of the daemons and of
PostgreSQL's processes (every process of the cluster, its background workers included)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass, replace
from itertools import cycle
from pathlib import Path

import aiohttp
import orjson
import psutil
import psycopg

from bench.batch import FUNCTION, process_cpu
from bench.noop_daemon import noop_config
from bench.stats import machine, table
from tests.servers.daemon import Daemon
from tests.servers.postgres import Postgres
from tests.servers.process import Spec, free_port

CLIENTS = 32


class DurablePostgres(Postgres):
    """The tests' cluster runs with fsync off (a SIGKILL keeps the page cache); a benchmark
    compares durable commits, so this one syncs as a production server would."""

    def spec(self) -> Spec:
        spec = super().spec()
        return replace(spec, argv=["fsync=on" if a == "fsync=off" else a for a in spec.argv])


@dataclass
class Result:
    rate: float  # end-to-end invocations/s
    daemon_us: float  # daemons' CPU per invocation
    server_us: float  # PostgreSQL's CPU per invocation (0 for SQLite)
    per_invocation: dict[str, float] | None = None  # the database's counters per invocation


def payload() -> bytes:
    return orjson.dumps({"ts": time.time(), "seq": 0, "pad": "x" * 200})


def cluster_cpu(pg: Postgres) -> float:
    """CPU of every process of the cluster: the postmaster and all its children."""
    if pg._proc is None:
        return 0.0
    root = psutil.Process(pg._proc.pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


# pg_stat_database's counters for the benchmark's database: commits and rows written
# (the completion polls add ~20 commits a second), as the server counted them: a backend
# reports its counters when it ends, so they are read after the daemons stop.
COUNTERS = ("xact_commit", "tup_inserted", "tup_updated", "tup_deleted")


def counters(store: str) -> dict[str, float]:
    with psycopg.connect(store) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            f"SELECT {', '.join(COUNTERS)} FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return dict(zip(COUNTERS, (float(v) for v in row), strict=True))


def succeeded(store: str) -> int:
    query = "SELECT count(*) FROM invocations WHERE status = 'succeeded'"
    if store.startswith("sqlite:///"):
        with sqlite3.connect(f"file:{store.removeprefix('sqlite:///')}?mode=ro", uri=True) as c:
            return int(c.execute(query).fetchone()[0])
    with psycopg.connect(store) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


async def all_succeeded(store: str, count: int) -> None:
    """Poll the store (the daemons are other processes) until `count` invocations succeeded."""
    while True:
        if succeeded(store) >= count:
            return
        await asyncio.sleep(0.05)


async def load(urls: list[str], n: int) -> None:
    body = payload()
    targets = cycle(urls)
    left = n
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                url = next(targets)
                async with http.post(url, data=body) as resp:
                    if resp.status != 202:
                        raise RuntimeError(f"POST -> {resp.status} {(await resp.read())[:200]!r}")

        await asyncio.gather(*(client() for _ in range(CLIENTS)))


async def scenario(work: Path, store: str, daemons: int, n: int, pg: Postgres | None) -> Result:
    started: list[Daemon] = []
    try:
        for k in range(daemons):
            port = free_port()
            home = work / f"d{k}"
            home.mkdir()
            (home / "benchfn.py").write_text(FUNCTION)
            sync = "full" if store.startswith("sqlite") else None
            config = home / "triggers.yaml"
            config.write_text(noop_config(store, port, sync))
            daemon = Daemon(config, home, {"PYTHONPATH": str(home)}, api_port=port)
            daemon.start()
            started.append(daemon)
        urls = [f"{d.url}/v1/functions/noop/invocations" for d in started]
        await load(urls, 200)  # warm-up
        base = succeeded(store)
        await all_succeeded(store, 200)
        cpu0 = sum(process_cpu(d.pid) for d in started)
        server0 = cluster_cpu(pg) if pg is not None else 0.0
        stats0 = counters(store) if pg is not None else {}
        t0 = time.perf_counter()
        await load(urls, n)
        await all_succeeded(store, base + n)
        seconds = time.perf_counter() - t0
        cpu = sum(process_cpu(d.pid) for d in started) - cpu0
        server = cluster_cpu(pg) - server0 if pg is not None else 0.0
        result = Result(n / seconds, cpu / n * 1e6, server / n * 1e6)
    finally:
        for daemon in started:
            daemon.terminate()
    if pg is not None:
        stats = counters(store)
        result.per_invocation = {k: (stats[k] - stats0[k]) / n for k in COUNTERS}
    return result


def _row(label: str, r: Result) -> tuple[str, str]:
    server = f", PostgreSQL {r.server_us:,.0f} µs/inv" if r.server_us else ""
    if r.per_invocation:
        server += (
            " (per inv: " + ", ".join(f"{k} {v:.2f}" for k, v in r.per_invocation.items()) + ")"
        )
    return label, f"{r.rate:,.0f} e2e/s, daemons {r.daemon_us:,.0f} µs/inv{server}"


async def run(n: int) -> list[tuple[str, str]]:
    rows = [("machine", machine()), ("load average at start", load_average())]
    with tempfile.TemporaryDirectory() as tmp:
        work = shared_dir(Path(tmp))
        (work / "lite").mkdir()
        lite = await scenario(work / "lite", f"sqlite:///{work / 'lite' / 'hub.db'}", 1, n, None)
        rows.append(_row("SQLite, 1 daemon", lite))
        (work / "pg").mkdir()
        pg = DurablePostgres(work / "pg")
        pg.start()
        try:
            for daemons in (1, 2):
                name = f"bench{daemons}"
                pg.create_database(name)
                (work / f"pg{daemons}").mkdir()
                result = await scenario(work / f"pg{daemons}", pg.url_for(name), daemons, n, pg)
                rows.append(_row(f"PostgreSQL, {daemons} daemon(s)", result))
                if daemons == 1:
                    ratio = result.daemon_us / lite.daemon_us
                    rows.append(("  daemon CPU per invocation vs SQLite", f"{ratio:.2f}x"))
        finally:
            pg.stop()
    rows.append(("load average at end", load_average()))
    return rows


def shared_dir(path: Path) -> Path:
    path.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    return path


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="invocations per scenario")
    args = parser.parse_args()
    print(table(asyncio.run(run(args.n))))


if __name__ == "__main__":
    main()
