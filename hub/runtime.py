"""A configured function ready to run: its settings, its target and its concurrency limit."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hub.config.functions import FunctionConfig
from hub.targets.base import Target


@dataclass(slots=True)
class FunctionRuntime:
    name: str
    config: FunctionConfig
    target: Target
    slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.config.concurrency)
