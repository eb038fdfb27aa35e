"""Build a target from its config; one entry per target type."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from hub.config.functions import CommandTarget, HttpTarget, PythonTarget, TargetConfig
from hub.targets.base import Target
from hub.targets.command import Command
from hub.targets.http import HttpFunction
from hub.targets.python import PythonCallable

_BUILDERS: dict[type, Callable[[TargetConfig, aiohttp.ClientSession], Target]] = {
    PythonTarget: lambda c, _s: PythonCallable(c),  # type: ignore[arg-type]
    HttpTarget: lambda c, s: HttpFunction(c, s),  # type: ignore[arg-type]  # noqa: PLW0108
    CommandTarget: lambda c, _s: Command(c),  # type: ignore[arg-type]
}


def build_target(config: TargetConfig, session: aiohttp.ClientSession) -> Target:
    return _BUILDERS[type(config)](config, session)
