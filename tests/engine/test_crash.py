"""SIGKILL the engine under load, restart it on the same store: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sys
from pathlib import Path

import pytest

from hub.status import Status
from hub.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
ACKED_BEFORE_KILL = 3000


async def _spawn(mode: str, db: Path, runs: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "CRASH_RUNS_FILE": str(runs), "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.engine.crash_worker",
        mode,
        str(db),
        stdout=asyncio.subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_sigkill_under_load_loses_nothing(tmp_path: Path) -> None:
    db, runs = tmp_path / "hub.db", tmp_path / "runs.txt"
    proc = await _spawn("load", db, runs)
    assert proc.stdout is not None
    acked: dict[str, str] = {}
    async with asyncio.timeout(60):
        while len(acked) < ACKED_BEFORE_KILL:
            line = await proc.stdout.readline()
            assert line, "the load process exited early"
            inv_id, event_id = line.decode().split()
            acked[inv_id] = event_id
    proc.send_signal(signal.SIGKILL)
    await proc.wait()

    again = await _spawn("finish", db, runs)
    assert again.stdout is not None
    async with asyncio.timeout(90):
        assert (await again.stdout.readline()).strip() == b"DONE"
        assert await again.wait() == 0

    store = SqliteStore(db)
    await store.open()
    try:
        for inv_id in acked:
            inv = await store.get(inv_id)
            assert inv is not None, f"acknowledged invocation {inv_id} was lost"
            assert inv.status is Status.SUCCEEDED, (inv_id, inv.status, inv.last_error)
    finally:
        await store.close()
    run_counts = collections.Counter(runs.read_text().split())
    never_ran = [e for e in acked.values() if run_counts[e] == 0]
    twice = sum(1 for e in acked.values() if run_counts[e] > 1)
    assert never_ran == []
    print(f"\ncrash test: {len(acked)} acknowledged before SIGKILL, 0 lost, {twice} ran twice")
