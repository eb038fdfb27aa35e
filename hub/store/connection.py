"""The slice of the DB-API both backends offer (sqlite3 and psycopg), as the store's SQL uses it.

SQL is written once, with named `:name` parameters; the PostgreSQL connection rewrites them to
psycopg's `%(name)s`. An invocation's history grows inside the same UPDATE that changes its
status, through the JSON-append expression each backend names (`append_history`), which takes
the transition as the parameters `:h_status`, `:h_at` and `:h_detail`.
"""

from __future__ import annotations

import functools
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

    def execute(self, sql: str, params: Params | None = None) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor: ...
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


def transition(status: str, at: float, detail: str | None) -> dict[str, Any]:
    """The parameters of one history entry."""
    return {"h_status": status, "h_at": at, "h_detail": detail}
