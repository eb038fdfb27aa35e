"""Engine benchmark: `python -m bench.engine [--quick]` prints a table of the figures that
bench/README.md records. Every scenario uses its own fresh SQLite file (synchronous=FULL)."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from bench.stats import cpu_seconds, machine, ms, peak_rss_mib, table
from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings

DAY = 86400.0


class Probe:
    """The no-op function: counts calls and records start times against stamps in the data."""

    done = 0
    target = 0
    finished: asyncio.Event | None = None
    latencies: list[float] = []

    @classmethod
    def reset(cls, target: int) -> None:
        cls.done, cls.target, cls.latencies = 0, target, []
        cls.finished = asyncio.Event()


async def noop(event: Event) -> None:
    Probe.done += 1
    if Probe.done >= Probe.target and Probe.finished is not None:
        Probe.finished.set()


async def stamped(event: Event) -> None:
    Probe.latencies.append(time.time() - event.data)
    await noop(event)


def make_hub(workdir: Path, name: str, handler: str = "noop", **settings: Any) -> Hub:
    store = StoreSettings(url=f"sqlite:///{workdir / name}.db")
    fn = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"bench.engine:{handler}"}, "concurrency": 10_000}
    )
    return Hub(HubSettings(store=store, **settings), {"f": fn})


def events(n: int, data: Any = None) -> list[Event]:
    return [Event(type="bench", source="bench", data=data) for _ in range(n)]


async def durable_submits(workdir: Path, total: int, submitters: int) -> dict[str, str]:
    async with make_hub(workdir, "submits") as hub:
        per = total // submitters

        async def submitter() -> None:
            for _ in range(per):
                await hub.submit("f", events(1), delay=DAY)  # deferred: measures the commit alone

        start = time.perf_counter()
        await asyncio.gather(*(submitter() for _ in range(submitters)))
        elapsed = time.perf_counter() - start
    label = f"durable submits/s ({submitters} submitters, 1 event each)"
    return {label: f"{per * submitters / elapsed:,.0f}"}


async def end_to_end(workdir: Path, total: int) -> dict[str, str]:
    async with make_hub(workdir, "e2e") as hub:
        Probe.reset(total)
        cpu0, start = cpu_seconds(), time.perf_counter()

        batches = [500] * (total // 500) + ([total % 500] if total % 500 else [])
        chunks = [batches[i::8] for i in range(8)]

        async def submitter(sizes: list[int]) -> None:
            for size in sizes:
                await hub.submit("f", events(size))

        await asyncio.gather(*(submitter(c) for c in chunks))
        assert Probe.finished is not None
        await Probe.finished.wait()
        await hub.store.flush()  # the last completions are committed too
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    return {
        "end-to-end invocations/s (no-op python)": f"{total / elapsed:,.0f}",
        "CPU per invocation (user+sys / invocations)": f"{cpu / total * 1e6:,.0f} µs",
    }


async def paced_latency(workdir: Path, rate: int, seconds: float) -> dict[str, str]:
    async with make_hub(workdir, f"paced{rate}", handler="stamped") as hub:
        total = int(rate * seconds)
        Probe.reset(total)
        start = time.time()
        pending: set[asyncio.Task[Any]] = set()
        for i in range(total):
            due = start + i / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(hub.submit("f", events(1, data=time.time())))
            pending.add(task)
            task.add_done_callback(pending.discard)
        assert Probe.finished is not None
        await Probe.finished.wait()
    lat = Probe.latencies
    return {f"submit-to-start at {rate}/s": f"p50 {ms(lat, 50)}, p99 {ms(lat, 99)}"}


async def deferred_lateness(workdir: Path, total: int, spread: float) -> dict[str, str]:
    async with make_hub(workdir, "deferred", handler="stamped") as hub:
        Probe.reset(total)
        base = time.time() + 2.0  # every submit is committed before the first is due
        due = [base + spread * i / total for i in range(total)]
        for chunk in range(0, total, 1000):
            await asyncio.gather(
                *(
                    hub.submit("f", events(1, data=at), not_before=at)
                    for at in due[chunk : chunk + 1000]
                )
            )
        assert Probe.finished is not None
        await Probe.finished.wait()
    lat = Probe.latencies
    label = f"deferred lateness ({total:,} over {spread:g}s)"
    return {label: f"p50 {ms(lat, 50)}, p99 {ms(lat, 99)}, max {ms(lat, 100)}"}


async def backlog_memory(workdir: Path, total: int) -> dict[str, str]:
    marks: list[str] = []
    async with make_hub(workdir, "backlog") as hub:
        done = 0
        step = max(1, total // 4)
        while done < total:
            await asyncio.gather(*(hub.submit("f", events(1000), delay=DAY) for _ in range(5)))
            done += 5000
            if done % step == 0:
                marks.append(f"{done // 1000:,}k: {peak_rss_mib():.0f} MiB")
    size = (workdir / "backlog.db").stat().st_size + _wal(workdir / "backlog.db")
    return {
        f"peak RSS while queuing {total:,}": ", ".join(marks),
        "store file size": f"{size / 2**20:,.0f} MiB",
    }


def _wal(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke check)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    q = args.quick
    rows: dict[str, str] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scenarios = [
            durable_submits(work, 5_000 if q else 40_000, 64),
            end_to_end(work, 20_000 if q else 100_000),
            paced_latency(work, 200, 2 if q else 10),
            paced_latency(work, 1000, 2 if q else 10),
            deferred_lateness(work, 2_000 if q else 10_000, 3 if q else 10),
            backlog_memory(work, 100_000 if q else 1_000_000),
        ]
        for scenario in scenarios:
            result = await scenario
            print(table(list(result.items())), flush=True)
            rows |= result
    print("\n" + table(list(rows.items())))


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    # Run as a module so the python target `bench.engine:noop` is this very module.
    import importlib

    importlib.import_module("bench.engine").main()
