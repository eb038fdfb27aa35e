"""The built-in target factories, named by the built-in target kinds (hub/targets/kinds.py)."""

from __future__ import annotations

import aiohttp

from hub.config.functions import CommandTarget, HttpTarget, PythonTarget
from hub.targets.base import Target
from hub.targets.command import Command
from hub.targets.http import HttpFunction
from hub.targets.python import PythonCallable


def python_callable(config: PythonTarget, _session: aiohttp.ClientSession) -> Target:
    return PythonCallable(config)


def http_function(config: HttpTarget, session: aiohttp.ClientSession) -> Target:
    return HttpFunction(config, session)


def command(config: CommandTarget, _session: aiohttp.ClientSession) -> Target:
    return Command(config)
