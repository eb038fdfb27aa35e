"""Target kinds: target type name → config model + lazily imported target factory.

`python`, `http` and `command` are built in and registered here; a plugin package registers
its own on import, a third-party distribution through the entry-point group
`triggerhub.targets`, each resolving to a `TargetKind`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from pydantic import BaseModel

from hub.config.functions import CommandTarget, HttpTarget, PythonTarget
from hub.kinds import Kind, KindRegistry, shared_registry
from hub.targets.base import Target

ENTRY_POINT_GROUP = "triggerhub.targets"


class TargetFactory(Protocol):
    """Builds a function's target from its typed config; `session` is the hub's shared HTTP
    client session, for targets that speak HTTP."""

    def __call__(self, config: Any, session: aiohttp.ClientSession, /) -> Target: ...


@dataclass(frozen=True, slots=True)
class TargetKind(Kind[BaseModel, TargetFactory]):
    """`factory_path` names a `TargetFactory` taking an instance of `config_model`."""


target_kinds: KindRegistry[TargetKind] = shared_registry("target", ENTRY_POINT_GROUP, TargetKind)


def register_target(kind: TargetKind) -> None:
    """Called by a plugin package when it is imported."""
    target_kinds.register(kind)


def build_target(config: BaseModel, session: aiohttp.ClientSession) -> Target:
    """The target of a function's validated `target` config, by its kind's factory."""
    kind = target_kinds.loaded().get(str(getattr(config, "type", "")))
    factory: TargetFactory = kind.load_factory()
    return factory(config, session)


for _kind in (
    TargetKind(
        "python",
        PythonTarget,
        "hub.targets.builtin:python_callable",
        doc="A Python callable, imported with the triggers file's folder on the import path.",
    ),
    TargetKind(
        "http",
        HttpTarget,
        "hub.targets.builtin:http_function",
        doc="An HTTP endpoint that receives the event by the CloudEvents HTTP binding.",
    ),
    TargetKind(
        "command",
        CommandTarget,
        "hub.targets.builtin:command",
        doc="A program run with the event JSON on stdin (never a shell).",
    ),
):
    register_target(_kind)
