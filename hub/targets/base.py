"""What every target returns, and the registry that builds one from its config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from hub.events import Event


@dataclass(slots=True)
class TargetResult:
    payload: Any = None
    status_code: int | None = None
    exit_code: int | None = None


class Target(Protocol):
    async def __call__(self, event: Event) -> TargetResult:
        """Run one attempt. Raise FunctionError (or a subclass) on failure."""

    async def close(self) -> None: ...
