"""Function names a file refers to (a trigger's `function`, a `function:` destination) that no
function is configured under.

Checked on the plain data, one field at a time, so it runs even when other parts of the file are
invalid: a misspelt key elsewhere does not hide a dangling name. A function counts as configured
when its name is written under `functions:`, valid or not: its own problems are reported there."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from hub.config.destinations import DestinationConfig, FunctionDestination
from hub.config.triggers import FunctionRefs

Path = tuple[Any, ...]
_REFS: TypeAdapter[list[str]] = TypeAdapter(FunctionRefs)
_DESTINATION: TypeAdapter[Any] = TypeAdapter(DestinationConfig)


def dangling_references(data: dict[Any, Any]) -> list[tuple[Path, str]]:
    """(path of the name as written, message) for every reference to an unknown function."""
    functions = _mapping(data.get("functions"))
    known = {name for name in functions if isinstance(name, str)}
    listed = ", ".join(sorted(known)) or "none are configured"
    found = [*_from_destinations(functions), *_from_triggers(_mapping(data.get("triggers")))]
    return [
        (
            path,
            f"the {by} names function '{name}', which is not configured; "
            f"configured functions: {listed}",
        )
        for path, by, name in found
        if name not in known
    ]


def _from_destinations(functions: dict[Any, Any]) -> list[tuple[Path, str, str]]:
    found = []
    for name, config in functions.items():
        for slot in ("on_success", "on_failure"):
            raw = config.get(slot) if isinstance(config, dict) else None
            if raw is None:
                continue
            try:
                destination = _DESTINATION.validate_python(raw)
            except ValidationError:
                continue  # the schema reports it
            if isinstance(destination, FunctionDestination):
                path = ("functions", name, slot) + (("function",) if isinstance(raw, dict) else ())
                found.append((path, "destination", destination.function))
    return found


def _from_triggers(triggers: dict[Any, Any]) -> list[tuple[Path, str, str]]:
    found = []
    for name, config in triggers.items():
        raw = config.get("function") if isinstance(config, dict) else None
        try:
            refs = _REFS.validate_python(raw)
        except ValidationError:
            continue  # missing or malformed: the schema reports it
        path = ("triggers", name, "function")
        found += [
            (path + ((i,) if isinstance(raw, list) else ()), "trigger", ref)
            for i, ref in enumerate(refs)
        ]
    return found


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}
