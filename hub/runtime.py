"""A configured function ready to run: its settings, its target and its concurrency limit; and
the running set of them, swapped as a whole when the function set changes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from hub.config.functions import FunctionConfig
from hub.targets.base import Target
from hub.targets.kinds import build_target


@dataclass(slots=True)
class FunctionRuntime:
    name: str
    config: FunctionConfig
    target: Target
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.config.concurrency)


def apply_functions(
    runtimes: dict[str, FunctionRuntime],
    functions: Mapping[str, FunctionConfig],
    session: aiohttp.ClientSession,
) -> None:
    """Make `runtimes` run `functions`: changed ones rebuilt, removed ones dropped, unchanged
    ones (and their concurrency slots) kept."""
    # Every changed target is built before any is swapped in: one that cannot be built (a
    # handler that fails to import) leaves the running set as it was.
    built = {
        name: FunctionRuntime(name, config, build_target(config.target, session))
        for name, config in functions.items()
        if (current := runtimes.get(name)) is None or current.config != config
    }
    for name in list(runtimes):
        if name not in functions:
            del runtimes[name]
    runtimes.update(built)
