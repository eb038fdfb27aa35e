"""Load the triggers file: read, parse YAML (keeping positions), interpolate the environment,
validate against the registered models, check the function names it refers to and, when asked,
import its python handlers. Every problem is reported as FILE:LINE:COL, all of them at once: a
phase that finds problems does not stop the next, which checks what the earlier ones could
still make sense of. Only a file that is not YAML, or not a mapping, stops at the first."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from hub.config.document import TriggersFile, document_model
from hub.config.handlers import handler_problems
from hub.config.interpolate import interpolate
from hub.config.located import Located, Pos, locate, parse_yaml
from hub.config.located import Path as LocPath
from hub.config.problems import describe, dotted
from hub.config.references import dangling_references
from hub.config.respell import respell_triggers
from hub.config_view import config_secrets
from hub.errors import ConfigError
from hub.plugins.registry import Registry, default_registry
from hub.redact import redact_text, remember

_EXPECTED = "expected a mapping with the keys hub, functions and triggers"


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    import_handlers: bool = False,
) -> TriggersFile:
    """`import_handlers` imports every python handler with the file's folder on the import
    path, as the daemon does, so one that cannot be imported is a problem of the file."""
    name = str(path)
    root = Path(name).resolve().parent if import_handlers else None
    return load_text(_read(name), name, env=env, registry=registry, import_root=root)


def load_text(
    text: str,
    filename: str = "<config>",
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    import_root: Path | None = None,
) -> TriggersFile:
    root = parse_yaml(text, filename)
    if root is None:
        raise ConfigError(f"{filename}:1:1: the file is empty; {_EXPECTED}")
    located = locate(root)
    if not isinstance(located.data, dict):
        kind = "a list" if isinstance(located.data, list) else f"{located.data!r}"
        raise ConfigError(f"{filename}:{located.value_pos(())}: found {kind}; {_EXPECTED}")
    filled = interpolate(located.data, os.environ if env is None else env)
    # Learned before validation, so that no problem message can quote one of them.
    remember(filled.secret_values)
    remember(config_secrets(filled.data))
    unfilled = _at(located, filled.problems)
    # Top-level `x-…` keys are the user's own (YAML anchors to merge), as in compose files.
    located.data = {k: v for k, v in filled.data.items() if not str(k).startswith("x-")}
    kinds = registry or default_registry()
    model = document_model(kinds)
    models = {name: kind.config_model for name, kind in kinds.kinds().items()}
    notices, problems = respell_triggers(located, models)
    doc: TriggersFile | None = None
    try:
        doc = model.model_validate(located.data)
    except ValidationError as exc:
        problems += _problems(exc, located, model, filled.secret_paths)
    problems += _at(located, dangling_references(located.data))
    if import_root is not None:
        problems += _at(located, handler_problems(located.data.get("functions"), import_root))
    # A value whose variable is missing still holds `${…}`: its own problem says why.
    taken = {pos for pos, _ in unfilled}
    problems = unfilled + [problem for problem in problems if problem[0] not in taken]
    if problems or doc is None:
        _fail(filename, problems + notices)  # an old spelling explains a new name in a problem
    doc.notices.extend(_lines(filename, notices))
    return doc


def _at(located: Located, found: list[tuple[LocPath, str]]) -> list[tuple[Pos, str]]:
    return [(located.value_pos(path), f"{dotted(path)}: {text}") for path, text in found]


def _read(name: str) -> str:
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory, not a triggers file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror}") from None


def _problems(
    exc: ValidationError,
    located: Located,
    model: type[TriggersFile],
    secrets: set[LocPath],
) -> list[tuple[Pos, str]]:
    return [describe(error, located, model, secrets) for error in exc.errors()]


def _lines(filename: str, found: list[tuple[Pos, str]]) -> list[str]:
    ordered = sorted(set(found), key=lambda p: (p[0].line, p[0].col, p[1]))
    return [f"{filename}:{pos}: {text}" for pos, text in ordered]


def _fail(filename: str, problems: list[tuple[Pos, str]]) -> NoReturn:
    # Validators quote the input (a port, a schedule, a destination): no quoted secret leaves.
    raise ConfigError(redact_text("\n".join(_lines(filename, problems))))
