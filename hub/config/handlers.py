"""Python handlers (`package.module:callable`) imported the way the daemon imports them: with
the triggers file's folder on the import path. Loading a file with `import_handlers` turns a
handler that cannot be imported into a problem of the file, so `validate` finds it and a
reload refuses it, instead of the hub failing when it builds the function."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hub.config.functions import PythonTarget, TargetConfig
from hub.errors import ConfigError

Path = tuple[Any, ...]
_TARGET: TypeAdapter[Any] = TypeAdapter(TargetConfig)


class HandlerError(ConfigError):
    """A python handler that cannot be imported or is not callable; `reason` says why."""

    def __init__(self, handler: str, reason: str) -> None:
        super().__init__(f"python handler {handler!r}: {reason}")
        self.reason = reason


def add_import_root(folder: FsPath) -> None:
    """Put the triggers file's folder first on the import path (once), so that
    `functions.hello:handle` is `functions/hello.py` next to the file."""
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)


def import_handler(handler: str) -> Callable[..., Any]:
    module_name, _, attr = handler.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # the module's own code may raise anything while it loads
        raise HandlerError(handler, f"cannot import {module_name!r}: {_why(exc)}") from exc
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise HandlerError(handler, f"module {module_name!r} has no callable {attr!r}")
    return fn  # type: ignore[no-any-return]


def handler_problems(functions: Any, root: FsPath) -> list[tuple[Path, str]]:
    """Import the handler of every function whose target is a valid python target (the
    others are the schema's problems); one (path, reason) per handler that fails."""
    if not isinstance(functions, dict):
        return []
    add_import_root(root)
    # Modules written since this process last looked (an edit before a reload) must be found.
    importlib.invalidate_caches()
    problems: list[tuple[Path, str]] = []
    for name, config in functions.items():
        raw = config.get("target") if isinstance(config, dict) else None
        try:
            target = _TARGET.validate_python(raw)
        except ValidationError:
            continue
        if isinstance(target, PythonTarget):
            try:
                import_handler(target.handler)
            except HandlerError as exc:
                problems.append((("functions", name, "target", "handler"), exc.reason))
    return problems


def _why(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"syntax error in {exc.filename}, line {exc.lineno}: {exc.msg}"
    return str(exc) if isinstance(exc, ImportError) else f"{type(exc).__name__}: {exc}"
