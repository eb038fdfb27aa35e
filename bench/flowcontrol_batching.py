"""Flow-control benchmark, batching of 100: `python -m bench.flowcontrol_batching [--quick]`.

The same events, submitted by 64 concurrent submitters one event per submit (as triggers and
the API do), run once as one invocation each and once gathered by `batching: {max_size: 100}`:
events/s from the first submit to the last event handled, invocations run, and CPU per event.
`batching_of_100` is the scenario the flow-control benchmark (bench/flowcontrol.py) runs."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from bench.stats import cpu_seconds, machine, table
from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings

SUBMITTERS = 64


class Count:
    events = 0
    invocations = 0
    target = 0
    done: asyncio.Event | None = None

    @classmethod
    def reset(cls, target: int) -> None:
        cls.events, cls.invocations, cls.target = 0, 0, target
        cls.done = asyncio.Event()

    @classmethod
    def saw(cls, events: int) -> None:
        cls.events += events
        cls.invocations += 1
        if cls.events >= cls.target and cls.done is not None:
            cls.done.set()


async def one(event: Event) -> None:
    Count.saw(1)


async def batch(event: Event) -> dict[str, list[str]]:
    Count.saw(len(event.data))
    return {"failed": []}


def _hub(workdir: Path, name: str, handler: str, **flow: Any) -> Hub:
    store = StoreSettings(url=f"sqlite:///{workdir / name}.db")
    fn = FunctionConfig.model_validate(
        {
            "target": {"type": "python", "handler": f"bench.flowcontrol_batching:{handler}"},
            "concurrency": 64,
            **flow,
        }
    )
    return Hub(HubSettings(store=store, executors=64), {"f": fn})


async def _drive(hub: Hub, total: int) -> tuple[float, float]:
    Count.reset(total)
    per = total // SUBMITTERS

    async def submitter(worker: int) -> None:
        for n in range(per):
            data = {"tenant": f"t{worker % 4}", "n": n}
            await hub.submit("f", [Event(source="bench", type="bench.event", data=data)])

    cpu0, start = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(submitter(w) for w in range(SUBMITTERS)))
    assert Count.done is not None
    await Count.done.wait()
    await hub.store.flush()
    return time.perf_counter() - start, cpu_seconds() - cpu0


async def batching_of_100(workdir: Path, total: int) -> dict[str, str]:
    """Events/s and invocations with and without `batching: {max_size: 100, max_wait: 1s}`."""
    total -= total % SUBMITTERS
    rows: dict[str, str] = {}
    for label, handler, flow in (
        ("one invocation per event", "one", {}),
        (
            "batching: {max_size: 100, max_wait: 1s, key: data.tenant}",
            "batch",
            {"batching": {"max_size": 100, "max_wait": "1s", "key": "data.tenant"}},
        ),
    ):
        async with _hub(workdir, handler, handler, **flow) as hub:
            elapsed, cpu = await _drive(hub, total)
        rows[f"{label}: events/s"] = f"{total / elapsed:,.0f}"
        rows[f"{label}: invocations run"] = f"{Count.invocations:,}"
        rows[f"{label}: CPU per event"] = f"{cpu / total * 1e6:,.0f} µs"
    return rows


async def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run (a smoke check)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    rows = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        rows |= await batching_of_100(Path(tmp), 4_096 if args.quick else 20_480)
    print(table(list(rows.items())))


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    # The python targets name `bench.flowcontrol_batching`: run that module, not a copy of it.
    import importlib

    importlib.import_module("bench.flowcontrol_batching").main()
