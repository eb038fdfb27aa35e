"""The registry of trigger kinds: trigger type name → config model + lazily imported source
factory (the `Kind` shape of hub/kinds.py, shared by every extension point).

Built-in kinds register when their package `triggers/<kind>/` is imported; third-party kinds
through the entry-point group `triggerhub.triggers`, each resolving to a `TriggerKind`. A config
model imports without its client library; only building a source imports the factory.
`default_registry()` imports the built-in packages once and loads the entry points of every
extension point, so a package's destination, target, store or webhook is registered with it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hub.config.triggers import TriggerConfig
from hub.kinds import (
    BUILTIN_PACKAGE,
    Kind,
    KindRegistry,
    every_registry,
    import_builtin_plugins,
    import_packages,
)
from hub.plugins.contract import SourceFactory

ENTRY_POINT_GROUP = "triggerhub.triggers"


@dataclass(frozen=True, slots=True)
class TriggerKind(Kind[TriggerConfig, SourceFactory]):
    """`factory_path` names a `SourceFactory`: `(config, SourceContext) -> Source`."""


class Registry(KindRegistry[TriggerKind]):
    def __init__(self) -> None:
        super().__init__("trigger", ENTRY_POINT_GROUP, TriggerKind)


registry = Registry()


def register(kind: TriggerKind) -> None:
    """Called by each built-in plugin package when it is imported."""
    registry.register(kind)


@functools.cache
def default_registry() -> Registry:
    """The process-wide registry with the built-ins and every extension point's entry points
    loaded (once)."""
    for name, reason in import_builtin_plugins().items():
        registry.mark_broken(name, reason)
    for kinds in [registry, *every_registry()]:
        kinds.loaded()
    return registry


def load_builtins(into: Registry, package: str = BUILTIN_PACKAGE) -> None:
    """Import `package` and each of its sub-packages; each registers itself, and one that
    fails to import is marked broken in `into`."""
    for name, reason in import_packages(package).items():
        into.mark_broken(name, reason)
