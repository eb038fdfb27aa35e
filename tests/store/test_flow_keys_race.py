"""A key taken while another daemon's submit closes it (PostgreSQL, READ COMMITTED): the take
saw the key held, then the other commit deleted it (its batch became full) before the take
locked it. The take must then hold the key itself, not fail the submit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hub.flow import key_ops
from hub.store.connection import Connection, Cursor
from hub.store.postgres import PostgresStore
from tests.servers.postgres import Database

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Holder:
    function: str
    id: str
    deadline: float


class ClosedAfterFirstStatement:
    """A connection whose first statement is followed, before the second, by another
    connection's committed `close` of the key: the interleaving of two daemons' submits."""

    def __init__(self, conn: Connection, other: Connection, function: str, key: str) -> None:
        self._conn = conn
        self._other = other
        self._function = function
        self._key = key
        self._statements = 0
        self.append_history = conn.append_history
        self.append_two_history = conn.append_two_history
        self.placeholder = conn.placeholder

    def execute(self, sql: str, params: Any = None) -> Cursor:
        cur = self._conn.execute(sql, params)
        self._statements += 1
        if self._statements == 1:
            key_ops.close(self._other, self._function, "batch", self._key)
            self._other.commit()
        return cur

    def executemany(self, sql: str, rows: Any) -> Cursor:
        return self._conn.executemany(sql, rows)

    def commit(self) -> None:
        self._conn.commit()

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


@pytest.fixture
def connections(postgres_database: Database) -> Iterator[tuple[Connection, Connection]]:
    store = PostgresStore(postgres_database.url)
    first, second = store._connect(), store._connect()
    yield first, second
    first.close()
    second.close()


def test_a_key_closed_under_a_take_is_taken_anew(
    connections: tuple[Connection, Connection],
) -> None:
    conn, other = connections
    deadline = time.time() + 3600
    full_batch = Holder("f", "full-batch", deadline)
    assert key_ops.take(conn, full_batch, "batch", "k", time.time()) is None
    conn.commit()
    newcomer = Holder("f", "newcomer", deadline)
    racing = ClosedAfterFirstStatement(conn, other, "f", "k")
    assert key_ops.take(racing, newcomer, "batch", "k", time.time()) is None
    conn.commit()
    row = other.execute("SELECT invocation_id FROM flow_keys WHERE key = 'k'").fetchone()
    other.rollback()
    assert row is not None and row[0] == "newcomer"
