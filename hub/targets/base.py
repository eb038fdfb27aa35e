"""What every target returns, and the registry that builds one from its config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hub.events import WireEvent


@dataclass(slots=True)
class TargetResult:
    payload: Any = None
    status_code: int | None = None
    exit_code: int | None = None


class Target(Protocol):
    async def __call__(self, event: WireEvent) -> TargetResult:
        """Run one attempt with the event as stored (`event.json`; `event.event` parses it).
        Raise FunctionError (or a subclass) on failure."""

    async def close(self) -> None: ...
