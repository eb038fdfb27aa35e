"""One explicit registry: trigger type name → config model + lazily imported source factory.

Built-in kinds register when their package `triggers/<kind>/` is imported; third-party kinds
through the entry-point group `triggerhub.triggers`, each resolving to a `TriggerKind`. A config
model imports without its client library; only building a source imports the factory."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import get_args

import structlog

from hub.config.triggers import TriggerConfig
from hub.errors import ConfigError, MissingExtraError
from hub.plugins.contract import SourceFactory

log = structlog.get_logger("hub.plugins")
ENTRY_POINT_GROUP = "triggerhub.triggers"
BUILTIN_PACKAGE = "triggers"


@dataclass(frozen=True, slots=True)
class TriggerKind:
    name: str
    config_model: type[TriggerConfig]
    factory_path: str
    extra: str | None = None
    doc: str = ""

    def load_factory(self) -> SourceFactory:
        module_name, _, attr = self.factory_path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or module_name
            if self.extra is not None and not _is_part_of(missing, module_name):
                raise MissingExtraError(missing.split(".")[0], self.extra) from exc
            raise
        factory: SourceFactory = getattr(module, attr)
        return factory


def _declared_type(model: type[TriggerConfig]) -> object:
    args = get_args(model.model_fields["type"].annotation)
    return args[0] if len(args) == 1 else args


def _is_part_of(missing: str, module_name: str) -> bool:
    # The plugin's own module missing is a packaging bug, not an optional library to install.
    return module_name == missing or module_name.startswith(missing + ".")


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, TriggerKind] = {}
        self.broken: dict[str, str] = {}
        self.generation = 0
        self._entry_points_loaded = False

    def register(self, kind: TriggerKind) -> None:
        declared = _declared_type(kind.config_model)
        if declared != kind.name:
            raise ConfigError(
                f"trigger kind {kind.name!r}: {kind.config_model.__name__}.type must be "
                f"Literal[{kind.name!r}], not {declared!r}"
            )
        current = self._kinds.get(kind.name)
        if current is not None and current != kind:
            raise ConfigError(
                f"trigger type {kind.name!r} is registered twice "
                f"({current.factory_path} and {kind.factory_path})"
            )
        if current is None:
            self._kinds[kind.name] = kind
            self.generation += 1

    def get(self, name: str) -> TriggerKind:
        kind = self._kinds.get(name)
        if kind is None:
            raise ConfigError(self.unknown_type_message(name))
        return kind

    def kinds(self) -> Mapping[str, TriggerKind]:
        return dict(self._kinds)

    def unknown_type_message(self, name: object) -> str:
        if isinstance(name, str) and name in self.broken:
            return f"trigger type {name!r} failed to load: {self.broken[name]}"
        known = ", ".join(sorted(self._kinds)) or "none registered"
        return f"unknown trigger type {name!r}; known types: {known}"

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every third-party kind once; a broken one is logged and remembered (its
        triggers then fail with the reason) without stopping the others."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry_point in importlib.metadata.entry_points(group=group):
            try:
                kind = entry_point.load()
                if not isinstance(kind, TriggerKind):
                    raise TypeError(f"{entry_point.value} is not a TriggerKind")
                self.register(kind)
            except Exception as exc:
                self.mark_broken(entry_point.name, f"entry point {entry_point.value}: {exc!r}")

    def mark_broken(self, name: str, reason: str) -> None:
        self.broken[name] = reason
        self.generation += 1
        log.error("trigger plugin failed to load", plugin=name, error=reason)


registry = Registry()


def register(kind: TriggerKind) -> None:
    """Called by each built-in plugin package when it is imported."""
    registry.register(kind)


@functools.cache
def default_registry() -> Registry:
    """The process-wide registry with the built-ins and the entry points loaded (once)."""
    load_builtins(registry)
    registry.load_entry_points()
    return registry


def load_builtins(into: Registry, package: str = BUILTIN_PACKAGE) -> None:
    """Import `triggers` and each `triggers/<kind>/` package; each registers itself."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            into.mark_broken(info.name.rpartition(".")[2], f"{info.name}: {exc!r}")
