"""The slice of the DB-API both backends offer (sqlite3 and psycopg), as the store's SQL uses it.

SQL is written once, with named `:name` parameters; the PostgreSQL connection rewrites them to
psycopg's `%(name)s`. An invocation's history grows inside the same UPDATE that changes its
status, through the JSON-append expression each backend names (`append_history`), which takes
the transition as the parameters `:h_status`, `:h_at` and `:h_detail`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Params = Mapping[str, Any]
Row = Sequence[Any]
HISTORY = "{history}"
"""Where a statement's SQL takes the history-append expression (see `with_history`)."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    append_history: str
    """A SQL expression: `history` with [:h_status, :h_at, :h_detail] appended."""
    append_two_history: str
    """The same with [:s_status, :s_at, :s_detail] appended first: one parse of the history
    for an attempt's start and outcome written together."""
    placeholder: str
    """The backend's positional parameter (see `positional`)."""

    def execute(self, sql: str, params: Params | Row | None = None) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Params | Row]) -> Cursor: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


Op = Callable[[Connection], T]
"""One store operation: run inside a transaction the committer opens and commits."""


def with_history(conn: Connection, sql: str) -> str:
    """`sql` with its HISTORY mark replaced by the connection's append expression."""
    return _substitute(sql, conn.append_history)


@functools.cache
def _substitute(sql: str, append: str) -> str:
    return sql.replace(HISTORY, append)


def with_two_history(conn: Connection, sql: str) -> str:
    """`sql` with its HISTORY mark replaced by an expression appending two entries: the first
    from `transition(..., prefix="s_")`'s parameters, then the usual `h_` one."""
    return _substitute(sql, conn.append_two_history)


# A `:name` parameter, not a `::type` cast.
NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def positional(conn: Connection, sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with each `:name` parameter as the backend's positional placeholder, and the names
    in the order their values are bound. Binding by name costs a string and a lookup per
    parameter and a dict to look in: the statement every attempt runs does without."""
    return _positional(sql, conn.placeholder)


@functools.cache
def _positional(sql: str, placeholder: str) -> tuple[str, tuple[str, ...]]:
    return NAMED.sub(lambda _name: placeholder, sql), tuple(NAMED.findall(sql))


def transition(status: str, at: float, detail: str | None, prefix: str = "h_") -> dict[str, Any]:
    """The parameters of one history entry."""
    return {f"{prefix}status": status, f"{prefix}at": at, f"{prefix}detail": detail}
