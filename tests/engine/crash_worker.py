"""A subprocess for the crash test: `load` submits forever and prints each committed id;
`finish` runs the same store until nothing is left to do."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import structlog

from hub import Event, Hub
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings

RUNS = Path(os.environ["CRASH_RUNS_FILE"])


async def record(event: Event) -> None:
    # O_APPEND lines survive SIGKILL (the kernel holds them), which is all the count needs.
    fd = os.open(RUNS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{event.id}\n".encode())
    finally:
        os.close(fd)


def make_hub(db: str) -> Hub:
    settings = HubSettings(
        store=StoreSettings(url=f"sqlite:///{db}", lease_timeout=1.0), executors=16
    )
    fn = FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": "tests.engine.crash_worker:record"}}
    )
    return Hub(settings, {"record": fn})


async def load(db: str) -> None:
    async with make_hub(db) as hub:

        async def submitter() -> None:
            while True:
                events = [Event(type="crash", source="test") for _ in range(20)]
                subs = await hub.submit("record", events)
                sys.stdout.write(
                    "".join(f"{s.id} {e.id}\n" for s, e in zip(subs, events, strict=True))
                )
                sys.stdout.flush()

        await asyncio.gather(*(submitter() for _ in range(4)))


async def finish(db: str) -> None:
    async with make_hub(db) as hub:
        while True:
            counts = await hub.counts()
            if not counts:
                print("DONE", flush=True)
                return
            await asyncio.sleep(0.05)


if __name__ == "__main__":
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    mode, db = sys.argv[1], sys.argv[2]
    asyncio.run(load(db) if mode == "load" else finish(db))
