"""The one shape every extension point has: a `Kind` names a config model and a lazily
imported factory, and a `KindRegistry` holds the kinds of one extension point (triggers,
destinations, targets, stores, webhooks), registered by built-in packages on import and by
third-party distributions through an entry-point group.

A config model imports without its client library; only loading the factory imports it, and
a missing optional library becomes a `MissingExtraError` naming the extra to install."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_args

import structlog
from pydantic import BaseModel

from hub.errors import ConfigError, MissingExtraError

log = structlog.get_logger("hub.plugins")
BUILTIN_PACKAGE = "triggers"
Model = TypeVar("Model", bound=BaseModel)
Factory = TypeVar("Factory")


@dataclass(frozen=True, slots=True)
class Kind(Generic[Model, Factory]):
    """`factory_path` is `module:attribute`, imported on first use; `extra` is the
    `pip install 'triggerhub[extra]'` that brings the libraries the factory's module needs."""

    name: str
    config_model: type[Model]
    factory_path: str
    extra: str | None = None
    doc: str = ""

    def load_factory(self) -> Factory:
        factory: Factory = load_path(self.factory_path, self.extra)
        return factory


def load_path(path: str, extra: str | None = None) -> Any:
    """The attribute `module:attribute` names, importing its module; a library the module
    needs that is missing becomes a `MissingExtraError` naming `extra`."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if extra is not None and not _is_part_of(missing, module_name):
            raise MissingExtraError(missing.split(".")[0], extra) from exc
        raise
    return getattr(module, attr)


def _is_part_of(missing: str, module_name: str) -> bool:
    # The plugin's own module missing is a packaging bug, not an optional library to install.
    return module_name == missing or module_name.startswith(missing + ".")


def declared_type(model: type[BaseModel]) -> object:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = get_args(field.annotation)
    return args[0] if len(args) == 1 else args


K = TypeVar("K", bound=Kind[Any, Any])


class KindRegistry(Generic[K]):
    """Kinds of one extension point by name. `label` names it in messages ("trigger",
    "destination"); `group` is its entry-point group; with `typed`, a kind's model must
    declare `type: Literal[name]`, which is what picks it in the triggers file."""

    def __init__(self, label: str, group: str, kind_class: type[K], *, typed: bool = True) -> None:
        self.label = label
        self.group = group
        self.kind_class = kind_class
        self.typed = typed
        self._kinds: dict[str, K] = {}
        self.broken: dict[str, str] = {}
        self.generation = 0
        self._entry_points_seen: set[str] = set()
        self._loaded = False

    def loaded(self) -> KindRegistry[K]:
        """This registry with the built-in plugin packages imported (each registers its kinds)
        and its entry points loaded, the first time it is asked."""
        if not self._loaded:
            self._loaded = True
            import_builtin_plugins()
            self.load_entry_points()
        return self

    def register(self, kind: K) -> None:
        if self.typed and (declared := declared_type(kind.config_model)) != kind.name:
            raise ConfigError(
                f"{self.label} kind {kind.name!r}: {kind.config_model.__name__}.type must be "
                f"Literal[{kind.name!r}], not {declared!r}"
            )
        current = self._kinds.get(kind.name)
        if current is not None and current != kind:
            raise ConfigError(
                f"{self.label} type {kind.name!r} is registered twice "
                f"({current.factory_path} and {kind.factory_path})"
            )
        if current is None:
            self._kinds[kind.name] = kind
            self.generation += 1

    def unregister(self, name: str) -> None:
        """Forget a kind; its entry point, if it came from one, is loaded again next time."""
        self._entry_points_seen.discard(name)
        if self._kinds.pop(name, None) is not None:
            self.generation += 1

    def get(self, name: str) -> K:
        kind = self._kinds.get(name)
        if kind is None:
            raise ConfigError(self.unknown_type_message(name))
        return kind

    def kinds(self) -> Mapping[str, K]:
        return dict(self._kinds)

    def unknown_type_message(self, name: object) -> str:
        if isinstance(name, str) and name in self.broken:
            return f"{self.label} type {name!r} failed to load: {self.broken[name]}"
        known = ", ".join(sorted(self._kinds)) or "none registered"
        return f"unknown {self.label} type {name!r}; known types: {known}"

    def load_entry_points(self) -> None:
        """Register each third-party kind of the group once; a broken one is logged and
        remembered (what uses it then fails with the reason) without stopping the others.
        Entry points that appeared since the last call (a distribution just installed) are
        picked up; those seen before are not loaded again."""
        for entry_point in importlib.metadata.entry_points(group=self.group):
            if entry_point.name in self._entry_points_seen:
                continue
            self._entry_points_seen.add(entry_point.name)
            try:
                kind = entry_point.load()
                if not isinstance(kind, self.kind_class):
                    raise TypeError(f"{entry_point.value} is not a {self.kind_class.__name__}")
                self.register(kind)
            except Exception as exc:
                self.mark_broken(entry_point.name, f"entry point {entry_point.value}: {exc!r}")

    def mark_broken(self, name: str, reason: str) -> None:
        self.broken[name] = reason
        self.generation += 1
        log.error(f"{self.label} plugin failed to load", plugin=name, error=reason)


_shared: dict[str, KindRegistry[Any]] = {}


def shared_registry(
    label: str, group: str, kind_class: type[K], *, typed: bool = True
) -> KindRegistry[K]:
    """The process-wide registry of one extension point, findable by its label."""
    kinds = _shared[label] = KindRegistry(label, group, kind_class, typed=typed)
    return kinds


def registry_of(label: str) -> KindRegistry[Any]:
    """The process-wide registry of `label` ("destination", "target", …), loaded."""
    return _shared[label].loaded()


def every_registry() -> list[KindRegistry[Any]]:
    return list(_shared.values())


@functools.cache
def import_builtin_plugins() -> Mapping[str, str]:
    """Import each `triggers/<kind>/` package once; each registers its kinds. Returns the
    packages that failed to import, by name, with the reason."""
    return import_packages(BUILTIN_PACKAGE)


def import_packages(package: str) -> dict[str, str]:
    root = importlib.import_module(package)
    broken: dict[str, str] = {}
    for info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            broken[info.name.rpartition(".")[2]] = f"{info.name}: {exc!r}"
    return broken
