"""YAML read into plain data plus the line and column of every key and value, so that a
validation error on `triggers.orders.batch_size` can point at the file position."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from hub.errors import ConfigError

Path = tuple[Any, ...]
_HINTS = {
    "expected <block end>": "check the indentation",
    "cannot start any token": "YAML indents with spaces, not tabs",
    "mapping values are not allowed here": "quote a value that contains ': '",
}


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}"


@dataclass(slots=True)
class Located:
    data: Any
    keys: dict[Path, Pos] = field(default_factory=dict)
    values: dict[Path, Pos] = field(default_factory=dict)

    def key_pos(self, path: Path) -> Pos:
        """Where the key that names `path` is written; the top level is 1:1."""
        while path:
            pos = self.keys.get(path)
            if pos is not None:
                return pos
            path = path[:-1]
        return Pos(1, 1)

    def value_pos(self, path: Path) -> Pos:
        return self.values.get(path) or self.key_pos(path)


def parse_yaml(text: str, filename: str) -> Any:
    """The round-trip tree (keeps positions); a syntax error names file, line and column."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise ConfigError(_syntax_message(exc, filename)) from None


def _syntax_message(exc: MarkedYAMLError, filename: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{filename}:{mark.line + 1}:{mark.column + 1}" if mark else filename
    problem = (exc.problem or str(exc)).strip()
    if isinstance(exc, DuplicateKeyError):
        # ruamel's text repeats both values whole; the key and the rule are what help.
        key = problem.partition(" with value ")[0].removeprefix("found duplicate key ")
        return f"{where}: invalid YAML: duplicate key {key}; a key may appear once per mapping"
    for clue, hint in _HINTS.items():
        if clue in problem:
            problem += f" ({hint})"
    context = ""
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f" ({exc.context} started at line {exc.context_mark.line + 1})"
    return f"{where}: invalid YAML: {problem}{context}"


def locate(root: Any) -> Located:
    located = Located(data=None)
    located.values[()] = _pos_of(root) or Pos(1, 1)
    located.data = _plain(root, (), located)
    return located


def _plain(node: Any, path: Path, located: Located) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for raw_key, value in node.items():
            key = _scalar(raw_key)
            _record(located.keys, (*path, key), node.lc.key, raw_key)
            _record(located.values, (*path, key), node.lc.value, raw_key)
            out[key] = _plain(value, (*path, key), located)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            _record(located.values, (*path, index), node.lc.item, index)
            items.append(_plain(value, (*path, index), located))
        return items
    return _scalar(node)


def _record(into: dict[Path, Pos], path: Path, lookup: Any, key: Any) -> None:
    # Keys pulled in by a YAML merge (`<<: *defaults`) have no position of their own.
    try:
        line, col = lookup(key)
    except (KeyError, IndexError, TypeError):
        return
    into[path] = Pos(line + 1, col + 1)


def _pos_of(node: Any) -> Pos | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return Pos(lc.line + 1, lc.col + 1)


def _scalar(value: Any) -> Any:
    """Plain Python values: ruamel's str/int/float subclasses carry formatting we do not need,
    and a bare date is taken as the text it was written as."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
