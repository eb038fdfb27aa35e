"""The big-store benchmark fills its store through the store's own operations: that filling
must keep up with those operations as they move."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.bigstore_prepare import BATCH, prepare


@pytest.mark.timeout(60)
def test_the_prepared_store_holds_the_queued_and_the_finished(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    prepare(db, BATCH, BATCH)
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT status, count(*) FROM invocations GROUP BY status"))
    assert counts == {"queued": BATCH, "succeeded": BATCH}
