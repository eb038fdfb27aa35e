"""Batch intake benchmark: `python -m bench.batch [--quick]` starts a real daemon (SQLite,
synchronous=FULL, a no-op python function) and POSTs CloudEvents batches of 1,000 events
(`application/cloudevents-batch+json`, each event 265 bytes of data as in the peer harness),
one request after another and then 2 in flight, and prints the events accepted per second and
the daemon's CPU per event:

- accepted: deferred an hour (`X-Triggerhub-Delay`), so the daemon only takes them in; the
  figure of goal 4 (one durable commit per request);
- accepted and run: due at once, so the daemon also leases, runs and finishes them meanwhile
  (CPU taken until the daemon is idle again)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

from bench.noop_daemon import noop_config, sqlite_url
from bench.stats import machine, table
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

BATCH = 1000
FUNCTION = "async def handle(event):\n    return None\n"


def body(batch: int) -> bytes:
    data = {"ts": time.time(), "seq": 0, "pad": "x" * 200}
    return orjson.dumps(
        [
            {"specversion": "1.0", "id": f"e-{n}", "source": "/bench", "type": "t", "data": data}
            for n in range(batch)
        ]
    )


def process_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settle(pid: int) -> float:
    """The daemon's CPU once it stops using any (what it queued has run)."""
    before = -1.0
    while True:
        now = process_cpu(pid)
        if now - before < 0.02:
            return now
        before = now
        await asyncio.sleep(0.5)


async def scenario(url: str, pid: int, events: int, in_flight: int, defer: bool) -> str:
    payload = body(BATCH)
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    if defer:
        headers["X-Triggerhub-Delay"] = "3600"
    requests = events // BATCH
    sent = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as http:

        async def sender() -> None:
            nonlocal sent
            while sent < requests:
                sent += 1
                async with http.post(url, data=payload, headers=headers) as resp:
                    answer = await resp.read()
                    if resp.status != 202:
                        raise RuntimeError(f"POST -> {resp.status} {answer[:200]!r}")

        cpu0, t0 = process_cpu(pid), time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(in_flight)))
        seconds = time.perf_counter() - t0
        cpu = await settle(pid) - cpu0
    total = requests * BATCH
    return f"{total / seconds:,.0f} events/s, daemon CPU {cpu / total * 1e6:.0f} µs/event"


async def run(quick: bool) -> list[tuple[str, str]]:
    events = 20_000 if quick else 100_000
    rows = [("machine", machine()), ("load average at start", _load())]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "benchfn.py").write_text(FUNCTION)
        port = free_port()
        config = work / "triggers.yaml"
        config.write_text(noop_config(sqlite_url(work / "hub.db"), port))
        daemon = Daemon(config, work, {"PYTHONPATH": str(work)}, api_port=port)
        daemon.start()
        try:
            url = f"{daemon.url}/v1/functions/noop/invocations"
            await scenario(url, daemon.pid, 2 * BATCH, 1, True)  # warm-up
            for defer, what in ((True, "accepted"), (False, "accepted and run")):
                for in_flight in (1, 2):
                    result = await scenario(url, daemon.pid, events, in_flight, defer)
                    label = f"{what}, 1,000-event batches, {in_flight} in flight"
                    rows.append((label, result))
                    print(f"{label}: {result}", file=sys.stderr, flush=True)
        finally:
            daemon.terminate()
    rows.append(("load average at end", _load()))
    return rows


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 events per scenario")
    args = parser.parse_args()
    print(table(asyncio.run(run(args.quick))))


if __name__ == "__main__":
    main()
