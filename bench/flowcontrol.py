"""Flow-control benchmark: `python -m bench.flowcontrol [--quick]` prints the engine's
end-to-end throughput (no-op python function, fresh SQLite file per scenario, synchronous=FULL)
without flow control and with each setting, so what a setting costs reads off one table.

Scenarios are registered with `@scenario`; a module that measures another setting registers
its own and is named in `MODULES`, so one command runs them all."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog

from bench.engine import Probe
from bench.stats import cpu_seconds, machine, table
from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings

Scenario = Callable[[Path, bool], Awaitable[dict[str, str]]]
SCENARIOS: list[Scenario] = []
MODULES: tuple[str, ...] = ()
"""Modules that add scenarios of their own (each registers with `@scenario` on import)."""


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS.append(fn)
    return fn


def make_hub(workdir: Path, name: str, **flow: Any) -> Hub:
    store = StoreSettings(url=f"sqlite:///{workdir / name}.db")
    fn = FunctionConfig.model_validate(
        {
            "target": {"type": "python", "handler": "bench.engine:noop"},
            "concurrency": 10_000,
            **flow,
        }
    )
    return Hub(HubSettings(store=store), {"f": fn})


async def run_through(hub: Hub, batches: list[list[Event]]) -> tuple[float, float]:
    """Submit the batches (8 submitters) and wait until every invocation ran: (seconds,
    CPU seconds), the submits included."""
    Probe.reset(sum(len(b) for b in batches))
    cpu0, start = cpu_seconds(), time.perf_counter()
    chunks = [batches[i::8] for i in range(8)]

    async def submitter(mine: list[list[Event]]) -> None:
        for batch in mine:
            await hub.submit("f", batch)

    await asyncio.gather(*(submitter(c) for c in chunks))
    assert Probe.finished is not None
    await Probe.finished.wait()
    await hub.store.flush()
    return time.perf_counter() - start, cpu_seconds() - cpu0


def figures(label: str, total: int, elapsed: float, cpu: float) -> dict[str, str]:
    return {
        f"{label}: invocations/s": f"{total / elapsed:,.0f}",
        f"{label}: CPU per invocation": f"{cpu / total * 1e6:,.0f} µs",
    }


def batches_of(data: list[Any], size: int = 500) -> list[list[Event]]:
    events = [Event(type="bench", source="bench", data=d) for d in data]
    return [events[i : i + size] for i in range(0, len(events), size)]


@scenario
async def plain(workdir: Path, quick: bool) -> dict[str, str]:
    total = 5_000 if quick else 20_000
    async with make_hub(workdir, "plain") as hub:
        elapsed, cpu = await run_through(hub, batches_of([None] * total))
    return figures("no flow control", total, elapsed, cpu)


@scenario
async def concurrency_keys(workdir: Path, quick: bool) -> dict[str, str]:
    keys = 2_000 if quick else 10_000
    total = 2 * keys
    flow = {"key_concurrency": {"key": "data.tenant", "limit": 1}}
    async with make_hub(workdir, "keys", **flow) as hub:
        data = [{"tenant": f"t{n % keys}"} for n in range(total)]
        elapsed, cpu = await run_through(hub, batches_of(data))
    return figures(f"key_concurrency, {keys:,} keys (limit 1, 2 each)", total, elapsed, cpu)


@scenario
async def rate_limited(workdir: Path, quick: bool) -> dict[str, str]:
    rate = 2_000
    total = 4_000 if quick else 10_000
    flow = {"rate_limit": {"limit": rate, "period": "1s", "burst": 100}}
    async with make_hub(workdir, "rate", **flow) as hub:
        elapsed, cpu = await run_through(hub, batches_of([None] * total))
    ideal = (total - 100) / rate
    out = figures(f"rate_limit {rate:,}/s (burst 100)", total, elapsed, cpu)
    out[f"rate_limit {rate:,}/s: time vs ideal"] = f"{elapsed:.2f} s vs {ideal:.2f} s"
    return out


@scenario
async def rate_limit_overhead(workdir: Path, quick: bool) -> dict[str, str]:
    total = 5_000 if quick else 20_000
    flow = {"rate_limit": {"limit": 1_000_000, "period": "1s", "burst": 1_000}}
    async with make_hub(workdir, "rate_free", **flow) as hub:
        elapsed, cpu = await run_through(hub, batches_of([None] * total))
    return figures("rate_limit never reached (1,000,000/s)", total, elapsed, cpu)


@scenario
async def prioritized(workdir: Path, quick: bool) -> dict[str, str]:
    total = 5_000 if quick else 20_000
    async with make_hub(workdir, "priority", priority=5) as hub:
        elapsed, cpu = await run_through(hub, batches_of([None] * total))
    return figures("priority 5", total, elapsed, cpu)


async def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke check)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    for module in MODULES:
        importlib.import_module(module)
    rows: dict[str, str] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        for measure in SCENARIOS:
            result = await measure(Path(tmp), args.quick)
            print(table(list(result.items())), flush=True)
            rows |= result
    print("\n" + table(list(rows.items())))


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    importlib.import_module("bench.flowcontrol").main()
