"""`${VAR}` and `${VAR:-default}` in string values, read from the environment before
validation; `$${` stands for a literal `${`;
as in the shell, an empty variable also takes the default. Values taken from variables whose
names look secret are remembered, by path and by value, so that hub.redact hides them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.config.patterns import ENV_VAR_NAME
from hub.secret_names import secret_name

Path = tuple[Any, ...]
_TOKEN = re.compile(r"\$\$\{|\$\{(" + ENV_VAR_NAME + r")(?::-([^}]*))?\}|\$\{")


@dataclass(slots=True)
class Interpolated:
    data: Any
    secret_paths: set[Path] = field(default_factory=set)
    secret_values: set[str] = field(default_factory=set)
    problems: list[tuple[Path, str]] = field(default_factory=list)


def interpolate(data: Any, env: Mapping[str, str]) -> Interpolated:
    result = Interpolated(data=None)
    result.data = _walk(data, (), env, result)
    return result


def _walk(node: Any, path: Path, env: Mapping[str, str], result: Interpolated) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, (*path, k), env, result) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, (*path, i), env, result) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        return _substitute(node, path, env, result)
    return node


def _substitute(text: str, path: Path, env: Mapping[str, str], result: Interpolated) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        if name is None:
            result.problems.append(
                (path, "invalid ${…}: write ${NAME} or ${NAME:-default}, or $${ for a literal ${")
            )
            return token
        value = env.get(name)
        if default is not None and not value:
            return default  # as in the shell: unset or empty takes the default
        if value is None:
            result.problems.append(
                (path, f"environment variable {name} is not set (or write ${{{name}:-default}})")
            )
            return token
        if secret_name(name):
            result.secret_paths.add(path)
            result.secret_values.add(value)
        return value

    return _TOKEN.sub(replace, text)
