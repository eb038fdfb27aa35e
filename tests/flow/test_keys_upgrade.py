"""A store whose intake keys were written by the previous release (a key as its value's JSON,
a cancel mark as the JSON list of raw values) behaves as one written today once a daemon of
this version opens it: the singleton, the open debounce window and the cancel_on marks of
the invocations queued before the upgrade still meet the events after it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from hub.config.loader import load_text
from hub.engine import Hub
from hub.events import Event
from hub.flow.config import TriggerOrigin
from hub.store.flow_keys_upgrade import cancel_mark, intake_key

pytestmark = pytest.mark.timeout(60)

CONFIG = """\
functions:
  job:
    target: {type: http, url: 'http://127.0.0.1:9/'}
    singleton: {key: data.job}
  digest:
    target: {type: http, url: 'http://127.0.0.1:9/'}
    debounce: {key: data.user, period: 1h}
  fulfil:
    target: {type: http, url: 'http://127.0.0.1:9/'}
    cancel_on:
      - trigger: stops
        match: {data.order: data.order}
triggers:
  stops:
    type: log_stream
    function: job
    paths: ["%s"]
    format: jsonl
"""

LATER = 3600.0
Sql = Callable[[str, tuple[Any, ...]], None]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database").url)
    return f"sqlite:///{tmp_path}/hub.db"


@contextmanager
def raw_sql(url: str) -> Iterator[Sql]:
    """Statements (`?` placeholders) straight on the store, as the previous release left it."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as lite:
            yield lambda sql, args: lite.execute(sql, args) and None
            lite.commit()
        return
    import psycopg

    with psycopg.connect(url) as pg:
        yield lambda sql, args: pg.execute(sql.replace("?", "%s"), args) and None


def event(**data: Any) -> Event:
    return Event(type="t", source="s", data=data)


def test_old_keys_convert_exactly_and_new_ones_stay() -> None:
    assert intake_key('"abc"') == "=abc"
    assert intake_key("123") == "=123"
    assert intake_key("-5") == "=-5"
    assert intake_key('{"a":1,"b":2}') == '={"a":1,"b":2}'
    assert intake_key("null") is None and intake_key('""') is None
    for new in ("=abc", "=123", "*", "-"):
        assert intake_key(new) == new
    assert cancel_mark("0:stops:[123]") == '0:stops:["123"]'
    assert cancel_mark('1:stops:["a",true]') == '1:stops:["a","true"]'
    assert cancel_mark("0:stops:[null]") is None
    assert cancel_mark('0:stops:["123"]') == '0:stops:["123"]'


async def test_old_format_rows_meet_new_events(store_url: str, tmp_path: Path) -> None:
    doc = load_text(f'hub: {{store: {{url: "{store_url}"}}}}\n' + CONFIG % (tmp_path / "x"))
    async with Hub(doc.hub, doc.functions) as hub:
        [held] = await hub.submit("job", [event(job="abc")], delay=LATER)
        [pending] = await hub.submit("digest", [event(user=7)], delay=0)
        [marked] = await hub.submit("fulfil", [event(order=123)], delay=LATER)
    # What the previous release wrote for the same events, and no record of the upgrade.
    with raw_sql(store_url) as sql:
        sql("UPDATE flow_keys SET key = ? WHERE function = ?", ('"abc"', "job"))
        sql("UPDATE flow_keys SET key = ? WHERE function = ?", ("7", "digest"))
        sql("UPDATE flow_marks SET mark = ? WHERE function = ?", ("0:stops:[123]", "fulfil"))
        sql(
            "CREATE TABLE IF NOT EXISTS store_upgrades (name TEXT PRIMARY KEY, applied_at REAL)", ()
        )
        sql("DELETE FROM store_upgrades WHERE name = ?", ("flow-keys-v2",))

    async with Hub(doc.hub, doc.functions) as hub:
        [second] = await hub.submit("job", [event(job="abc")])
        [folded] = await hub.submit("digest", [event(user=7)])
        await hub.submit_many([("job", [event(order=123)])], origin=TriggerOrigin("stops"))
        skipped = await hub.get(second.id)
        cancelled = await hub.get(marked.id)
        held_now = await hub.get(held.id)
    assert skipped.condition == "Skipped", skipped
    assert skipped.last_error == f"singleton: yielded to {held.id}"
    assert held_now.condition is None
    assert folded.id == pending.id, "the open debounce window was not joined"
    assert cancelled.condition == "Cancelled", cancelled
