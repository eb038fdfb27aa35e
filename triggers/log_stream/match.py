"""The `match` option compiled once into a test on decoded lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from triggers.log_stream.config import Match
from triggers.log_stream.decode import Decoded

LineTest = Callable[[Decoded], bool]
_MISSING: Any = object()


def compile_match(match: Match | None) -> LineTest:
    if match is None:
        return lambda _line: True
    tests: list[LineTest] = []
    if match.contains is not None:
        needle = match.contains
        tests.append(lambda line: needle in line.text)
    if match.regex is not None:
        pattern = re.compile(match.regex)
        tests.append(lambda line: pattern.search(line.text) is not None)
    if match.fields is not None:
        wanted = [(tuple(path.split(".")), value) for path, value in match.fields.items()]
        tests.append(lambda line: all(_equal(_get(line.value, p), v) for p, v in wanted))
    return lambda line: all(test(line) for test in tests)


def _get(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(part, _MISSING)
    return value


def _equal(value: Any, expected: Any) -> bool:
    # YAML `ok: true` must not match the number 1, as in the hub's own filters.
    if isinstance(value, bool) or isinstance(expected, bool):
        return type(value) is type(expected) and value == expected
    return value is not _MISSING and bool(value == expected)
