"""Timer benchmark: `python -m bench.timer [--quick]` prints the figures bench/README.md
records. Lateness is measured from a tick's scheduled instant to the moment the hub
acknowledges it, which is after its invocation is durably committed (SQLite, synchronous=FULL).

Scenarios: one trigger at 10 ticks/s; 1,000 triggers ticking every second, all at the same
instant (the worst case) and spread over the second; 1,000 triggers ticking every 10 s (many
timers, a tick rate the hub keeps up with); drift over 10,000 ticks. Every tick's invocation
is also executed (a no-op Python function), as in a real daemon."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from bench.stats import cpu_seconds, machine, ms, table
from bench.timer_probe import record, scheduled_at
from hub import Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from hub.intake import TriggerSet
from hub.plugins import Registry, TriggerKind
from hub.store.base import ListQuery
from triggers.timer.config import TimerConfig
from triggers.timer.schedule import build_schedule
from triggers.timer.times import rfc3339_ms

Rows = list[tuple[str, str]]


def timer(schedule: str, **fields: Any) -> TimerConfig:
    return TimerConfig.model_validate(
        {"type": "timer", "function": "f", "schedule": schedule, **fields}
    )


@dataclass
class Run:
    lateness: list[float]  # scheduled -> durably queued (acked), seconds
    produced: list[float]  # scheduled -> handed to the hub, seconds
    expected: int  # ticks the schedules have in the measured window
    invoked: int  # invocations the store holds for them
    cpu: float  # process CPU seconds spent over the window (intake, store and executors)


async def run_triggers(
    workdir: Path,
    name: str,
    configs: dict[str, TimerConfig],
    seconds: float,
    warmup: float = 2.0,
    freeze: bool = True,
) -> Run:
    """Run the triggers and measure the ticks scheduled in [start + warmup, + seconds]."""
    registry = Registry()
    registry.register(TriggerKind("timer", TimerConfig, "bench.timer_probe:build"))
    fn = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": "bench.timer_probe:noop"}, "concurrency": 10_000}
    )
    store = StoreSettings(url=f"sqlite:///{workdir / name}.db")
    record.reset()
    async with Hub(HubSettings(store=store, max_backlog=1_000_000), {"f": fn}) as hub:
        triggers = TriggerSet(hub, registry)
        await triggers.start(configs)
        if freeze:
            gc.freeze()  # as the daemon does once ready (hub/daemon.py)
        since = round((time.time() + warmup) * 1000) / 1000  # whole ms, as ticks are
        until = round((since + seconds) * 1000) / 1000
        expected = sum(_expected(config, since, until) for config in configs.values())
        record.expect(since, until, expected)
        await asyncio.sleep(since - time.time())
        cpu = cpu_seconds()
        # Late ticks of the window still count: wait for them rather than cut them off.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(record.complete.wait(), until - time.time() + 30)
        cpu = cpu_seconds() - cpu
        await triggers.stop()
        await hub.store.flush()
        invoked = await _count(hub, since, until)
    return Run(record.lateness(since, until), record.produced(since, until), expected, invoked, cpu)


async def _count(hub: Hub, since: float, until: float) -> int:
    count, cursor = 0, None
    while True:
        page = await hub.query(ListQuery(function="f", limit=1000, cursor=cursor))
        count += sum(1 for inv in page.items if since <= scheduled_at(inv.event) <= until)
        if page.next_cursor is None:
            return count
        cursor = page.next_cursor


def _expected(config: TimerConfig, since: float, until: float) -> int:
    return build_schedule(config).count(round(since * 1000) - 1, round(until * 1000), 10**9)[0]


def _rows(label: str, run: Run, seconds: float) -> Rows:
    return [
        (f"{label}, {len(run.lateness):,} ticks", ""),
        ("  tick -> durably queued, p50 / p99 / max", _spread(run.lateness)),
        ("  tick -> handed to the hub, p50 / p99 / max", _spread(run.produced)),
        ("  ticks expected / invoked", f"{run.expected:,} / {run.invoked:,}"),
        ("  process CPU (timer, store, executors)", f"{run.cpu / seconds:.0%} of one core"),
    ]


def _spread(values: list[float]) -> str:
    return f"{ms(values, 50)} / {ms(values, 99)} / {ms(values, 100)}"


async def one_trigger(workdir: Path, ticks: int) -> Rows:
    configs = {"t": timer("rate(100 milliseconds)")}
    run = await run_triggers(workdir, "one", configs, ticks / 10)
    return _rows("1 trigger, 10 ticks/s", run, ticks / 10)


async def many_triggers(
    workdir: Path, count: int, every: int, seconds: float, spread: bool, freeze: bool = True
) -> Rows:
    # A rate counts from its `start`; a start in the past only sets the phase, which spreads
    # the triggers evenly over their interval.
    configs = {
        f"t{n}": timer(
            f"rate({every} seconds)",
            **({"start": _phase(n * every * 1000 // count)} if spread else {}),
        )
        for n in range(count)
    }
    name = f"many{every}{int(spread)}"
    run = await run_triggers(workdir, name, configs, seconds, warmup=3.0, freeze=freeze)
    how = "spread over the interval" if spread else "all at the same instant"
    return _rows(f"{count:,} triggers x 1 tick/{every}s, {how}", run, seconds)


def _phase(offset_ms: int) -> str:
    return rfc3339_ms(1_767_225_600_000 + offset_ms)


def arithmetic_drift(ticks: int) -> Rows:
    base = 1_767_225_600_000
    worst = 0
    for schedule, every in (
        ("rate(100 milliseconds)", 100),
        ("@every 1m30s", 90_000),
        ("*/1 * * * * *", 1000),
    ):
        sched = build_schedule(timer(schedule))
        tick: int | None = base
        for k in range(1, ticks + 1):
            tick = sched.after(tick) if tick is not None else None
            assert tick is not None
            worst = max(worst, abs(tick - (base + k * every)))
    return [(f"scheduled vs ideal (3 schedules x {ticks:,} ticks)", f"max |error| {worst} ms")]


async def fire_drift(workdir: Path, ticks: int) -> Rows:
    configs = {"t": timer("rate(10 milliseconds)")}
    run = await run_triggers(workdir, "drift", configs, ticks / 100)
    lat, n = run.lateness, len(run.lateness)
    mean_i, mean_l = (n - 1) / 2, sum(lat) / n
    slope = sum((i - mean_i) * (v - mean_l) for i, v in enumerate(lat)) / sum(
        (i - mean_i) ** 2 for i in range(n)
    )
    tenth = max(1, n // 10)
    return [
        (f"{n:,} ticks at 100/s: lateness trend", f"{slope * 1e6:+.3f} ms per 1,000 ticks"),
        (
            "  median lateness, first / last tenth",
            f"{ms(lat[:tenth], 50)} / {ms(lat[-tenth:], 50)}",
        ),
        ("  ticks expected / invoked", f"{run.expected:,} / {run.invoked:,}"),
    ]


async def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke check)")
    args = parser.parse_args()
    # Errors only: an overloaded run logs a line per skipped tick, which is not the figure.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    q = args.quick
    rows: Rows = [("machine", machine()), ("load average at start", _load())]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows += arithmetic_drift(10_000)
        print(table(rows), flush=True)
        scenarios = [
            one_trigger(work, 100 if q else 1_000),
            many_triggers(work, 200 if q else 1_000, 1, 3 if q else 10, spread=False),
            many_triggers(work, 200 if q else 1_000, 1, 3 if q else 10, spread=True),
            many_triggers(work, 200 if q else 1_000, 10, 10 if q else 30, spread=True),
            fire_drift(work, 1_000 if q else 10_000),
        ]
        for scenario in scenarios:
            result = await scenario
            print(table(result), flush=True)
            rows += result
    rows.append(("load average at end", _load()))
    print("\n" + table(rows))


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
