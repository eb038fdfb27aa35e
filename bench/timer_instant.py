"""Timers at one instant, alone: `python -m bench.timer_instant [--triggers N] [--seconds S]`
runs only bench.timer's "N triggers x rate(1 second), all at the same instant" scenario and
then prints the timeline of the last measured instant: each group commit of the store that
began within 0.6 s of it (its start after the instant, its SQL time, its operations). That
timeline is what shows whether the ticks of an instant share a commit, and where the rest of
their lateness goes."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from bench.stats import table
from hub.store import batcher, loop_committer

Batches = list[tuple[float, float, int]]


def record_batches() -> Batches:
    """Note each group commit's start, end and size (the committer's batch function, wrapped)."""
    batches: Batches = []
    execute = batcher.execute_batch

    def timed(conn: Any, begin: Any, batch: Any) -> Any:
        start = time.time()
        outcomes = execute(conn, begin, batch)
        batches.append((start, time.time(), len(batch)))
        return outcomes

    # The committer calls the batch function by its module's global name.
    vars(loop_committer)["execute_batch"] = timed
    return batches


async def run(triggers: int, seconds: float) -> None:
    # The same module object the hub resolves `bench.timer:build` to, so records are shared.
    timer = importlib.import_module("bench.timer")
    batches = record_batches()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        rows = await timer.many_triggers(Path(tmp), triggers, 1, seconds, spread=False)
    rows.insert(0, ("load average at start", load))
    rows.append(("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    print(table(rows))
    instant = max(scheduled for scheduled, _, _ in timer.record.ticks)
    print("\ngroup commits of the last instant: start after it, SQL time, operations")
    for start, end, size in batches:
        if instant - 0.01 <= start <= instant + 0.6:
            after, sql = (start - instant) * 1000, (end - start) * 1000
            print(f"  +{after:7.1f} ms  {sql:6.2f} ms  {size:5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triggers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured instants")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    asyncio.run(run(args.triggers, args.seconds))


if __name__ == "__main__":
    main()
