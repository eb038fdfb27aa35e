"""Pydantic's validation errors as `FILE:LINE:COL: field.path: what is wrong`.

An error's location runs through the validated types, which adds union tags (`kafka`,
`filter:all`) that are not keys in the file; walking it over the plain data skips them."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from hub.config.located import Located, Path, Pos
from hub.config.schema_walk import expected_keys
from hub.config.triggers import NAME_HELP, NAME_PATTERN
from hub.config_view import config_view
from hub.filters.model import ATTRIBUTE, DATA_PATH, SELECTOR
from hub.redact import MASK
from hub.secret_names import secret_path

_PATTERN_HELP = {
    NAME_PATTERN: NAME_HELP,
    SELECTOR: "a selector is a CloudEvents attribute name (1-20 lowercase letters or digits) "
    "or a data path like data.user.id",
    ATTRIBUTE: "an attribute name is 1-20 lowercase letters or digits",
    DATA_PATH: "a field is `data` or a dotted path into it, like data.user.id",
}
_BOUNDS = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must be at least {min_length} character(s) long",
    "string_too_long": "must be at most {max_length} character(s) long",
}
# Errors whose message already says what is wrong and what was expected.
_OWN_MESSAGES = frozenset(
    {"value_error", "assertion_error", "filter", "unknown_type", "missing_type"}
)
_MISSING: Any = object()


def describe(
    error: ErrorDetails, located: Located, model: type[BaseModel], secrets: Collection[Path]
) -> tuple[Pos, str]:
    path, raw, role = _walk(error["loc"], located.data, error["type"] == "missing")
    if role == "missing":
        pos = _anchor(located, path[:-1])
    elif role == "key" or error["type"] == "extra_forbidden":
        pos = located.key_pos(path)
    else:
        pos = _anchor(located, path) if isinstance(raw, dict | list) else located.value_pos(path)
    # A secret-bearing value is never echoed, not even in part.
    secret = secret_path(path) or any(path[: len(s)] == s for s in secrets)
    shown = MASK if secret and raw is not _MISSING else _show(raw)
    text = _message(error, path, raw, shown, role, model)
    return pos, f"{dotted(path) or '(top level)'}: {text}"


def _anchor(located: Located, path: Path) -> Pos:
    """A mapping or list is pointed at by its key (`orders:`), a list item by its dash."""
    if path and isinstance(path[-1], int):
        return located.value_pos(path)
    return located.key_pos(path)


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(loc: tuple[Any, ...], data: Any, missing: bool) -> tuple[Path, Any, str]:
    """The data path an error location names, the raw value there, and whether the error is
    about the key itself, a missing key or the value."""
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if part == "[key]":
            return tuple(path), path[-1] if path else None, "key"
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif missing and i == len(loc) - 1 and isinstance(node, dict):
            path.append(part)
            return tuple(path), _MISSING, "missing"
        elif not isinstance(node, dict | list):
            break  # the rest points inside a value a validator expanded (a shorthand)
    return tuple(path), node, "value"


def _message(
    error: ErrorDetails, path: Path, raw: Any, shown: str, role: str, model: type[BaseModel]
) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if role == "missing":
        return f"missing required key '{path[-1]}'"
    if kind == "extra_forbidden":
        expected = expected_keys(model, error["loc"][:-1])
        hint = f"; expected one of: {', '.join(expected)}" if expected else ""
        return f"unknown key '{path[-1]}'{hint}"
    if kind == "string_pattern_mismatch":
        help_ = _PATTERN_HELP.get(
            ctx.get("pattern", ""), f"expected the pattern {ctx.get('pattern')}"
        )
        return f"invalid {'name' if role == 'key' else 'value'} {shown}: {help_}"
    if kind == "union_tag_invalid":
        return f"unknown type '{ctx.get('tag')}'; expected one of: {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"missing key {ctx.get('discriminator')}, which picks the kind"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}; got {shown}"
    if kind in _BOUNDS:
        seconds = isinstance(raw, str) and isinstance(error.get("input"), float)
        bound = _BOUNDS[kind].format(**{k: _number(v) for k, v in ctx.items()})
        return bound + (" seconds" if seconds else "") + f"; got {shown}"
    text = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _OWN_MESSAGES:
        return text
    return f"{text[:1].lower()}{text[1:]}; got {shown}"


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    text = repr(config_view(value))  # before shortening, so no secret is cut in half
    return text if len(text) <= 60 else text[:57] + "..."
