"""A store made before flow control gains its tables when a daemon of this version opens it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.config.loader import load_text
from hub.engine import Hub
from hub.events import Event
from hub.store.schema import statements


async def test_an_older_sqlite_store_gains_the_flow_tables(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    with sqlite3.connect(db) as conn:
        for sql in statements(blob="BLOB", real="REAL", json="TEXT"):
            if "flow_" not in sql:  # the tables of a store made before flow control
                conn.execute(sql)
    doc = load_text(
        f'hub: {{store: {{url: "sqlite:///{db}"}}}}\n'
        "functions:\n  job:\n    target: {type: http, url: 'http://127.0.0.1:9/'}\n"
        "    singleton: {key: data.job}\n"
    )
    async with Hub(doc.hub, doc.functions) as hub:
        later = 3600.0
        [first] = await hub.submit(
            "job", [Event(type="t", source="s", data={"job": 1})], delay=later
        )
        [second] = await hub.submit("job", [Event(type="t", source="s", data={"job": 1})])
        skipped = await hub.get(second.id)
    assert skipped.condition == "Skipped"
    assert skipped.last_error == f"singleton: yielded to {first.id}"
