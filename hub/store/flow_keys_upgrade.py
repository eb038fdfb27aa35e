"""Rewrites the intake keys a store of the previous release holds into today's format, once.

The previous release stored a debounce, batching or singleton key (table flow_keys) as the
JSON of the field's value (`"abc"`, `1`, `null`) and a `cancel_on` mark (table flow_marks) as
`index:trigger:` and the JSON list of the raw values (`[123]`). Today's rule (hub/flow/fields.py)
stores `=` and the key's text (`=abc`, `=1`) and the list of key texts (`["123"]`): without
this rewrite, an event after the upgrade would not find the singleton, the open debounce
window or batch, or the marked invocations of one before it.

Every old intake key converts exactly: it is the whole value's JSON, and today's text is
computed from that value. A value today's rule reads as no key (`null`, `""`) loses its row,
since no event can match it any more. The lease-side keys (concurrency and rate keys, lanes)
are not rewritten: the previous release stored an object's JSON unsorted and cut long keys, so
their values cannot be recovered (README, Upgrading).

The store records the rewrite in table store_upgrades, in the transaction that makes it, so
it runs once whatever the number of daemons opening the store."""

from __future__ import annotations

import time
from typing import Any

import orjson

from hub.flow.fields import key_text
from hub.flow.plan import NO_KEY, WHOLE_FUNCTION

NAME = "flow-keys-v2"

_NO_VALUE = object()


def upgrade_sqlite(conn: Any) -> None:
    """On a raw sqlite3 connection in autocommit mode. A connection opened once the rewrite
    is recorded only reads that it is (a reconnect does not wait for the writer's lock); else
    the rewrite takes a write transaction of its own, so two processes do not both make it."""
    _create(conn, real="REAL")
    if _done(conn, "?"):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        upgrade(conn, real="REAL", param="?")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def upgrade(conn: Any, *, real: str, param: str) -> None:
    """Run on a raw DB-API connection inside a transaction that holds the store's schema lock
    (`param`: the driver's placeholder, `?` or `%s`)."""
    _create(conn, real=real)
    if _done(conn, param):
        return
    _rewrite_keys(conn, param)
    _rewrite_marks(conn, param)
    conn.execute(
        f"INSERT INTO store_upgrades (name, applied_at) VALUES ({param}, {param})",
        (NAME, time.time()),
    )


def _create(conn: Any, *, real: str) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS store_upgrades "
        f"(name TEXT PRIMARY KEY, applied_at {real} NOT NULL)"
    )


def _done(conn: Any, param: str) -> bool:
    found = conn.execute(f"SELECT 1 FROM store_upgrades WHERE name = {param}", (NAME,))
    return found.fetchone() is not None


def intake_key(old: str) -> str | None:
    """Today's flow_keys key for an old one; None when today's rule reads it as no key."""
    if old in (WHOLE_FUNCTION, NO_KEY) or old.startswith("="):
        return old
    value = _json(old)
    if value is _NO_VALUE:
        return old  # not written by the previous release: left as it is
    key = key_text(value)
    return None if key is None else f"={key}"


def cancel_mark(old: str) -> str | None:
    """Today's flow_marks mark for an old one; None when one of its values is no key."""
    index, _, rest = old.partition(":")
    trigger, sep, values_json = rest.partition(":")
    values = _json(values_json) if sep else _NO_VALUE
    if not index.isdigit() or not isinstance(values, list):
        return old
    keys = [key_text(value) for value in values]
    if any(key is None for key in keys):
        return None
    return f"{index}:{trigger}:{orjson.dumps(keys).decode()}"


def _json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NO_VALUE


def _rewrite_keys(conn: Any, param: str) -> None:
    rows = conn.execute("SELECT function, kind, key FROM flow_keys").fetchall()
    match = f"function = {param} AND kind = {param} AND key = {param}"
    for function, kind, old in rows:
        new = intake_key(old)
        if new == old:
            continue
        if new is not None:
            # A row already under the new key (written since) wins: the old one goes.
            taken = conn.execute(f"SELECT 1 FROM flow_keys WHERE {match}", (function, kind, new))
            if taken.fetchone() is None:
                conn.execute(
                    f"UPDATE flow_keys SET key = {param} WHERE {match}",
                    (new, function, kind, old),
                )
                continue
        conn.execute(f"DELETE FROM flow_keys WHERE {match}", (function, kind, old))


def _rewrite_marks(conn: Any, param: str) -> None:
    rows = conn.execute("SELECT function, mark, invocation_id FROM flow_marks").fetchall()
    match = f"function = {param} AND mark = {param} AND invocation_id = {param}"
    for function, old, invocation_id in rows:
        new = cancel_mark(old)
        if new == old:
            continue
        if new is not None:
            taken = conn.execute(
                f"SELECT 1 FROM flow_marks WHERE {match}", (function, new, invocation_id)
            )
            if taken.fetchone() is None:
                conn.execute(
                    f"UPDATE flow_marks SET mark = {param} WHERE {match}",
                    (new, function, old, invocation_id),
                )
                continue
        conn.execute(f"DELETE FROM flow_marks WHERE {match}", (function, old, invocation_id))
