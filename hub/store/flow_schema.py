"""The store's flow-control columns, tables and indexes (hub/store/flow_lease.py uses them).

Added to a store of any age, idempotently: each column is added only when missing, so an
existing store upgrades when a daemon of this version opens it. Rows without flow control
leave every new column NULL and stay out of the partial indexes, so the plain path pays no
index upkeep for them."""

from __future__ import annotations

from typing import Any

FLOW_COLUMNS = (
    ("priority", "INTEGER"),  # NULL: not under flow control
    ("flow_key", "TEXT"),
    ("flow_limit", "INTEGER"),
    ("rate_key", "TEXT"),
    ("rate_interval", "{real}"),
    ("rate_burst", "INTEGER"),
    # The invocation's queue within its function: its concurrency key, else its rate key;
    # NULL for priority alone. The lease serves lanes round-robin (table flow_lanes).
    ("lane", "TEXT"),
)


def upgrade(conn: Any, *, real: str) -> None:
    """Run on a raw DB-API connection (sqlite3 or psycopg) right after the base schema."""
    have = {d[0] for d in conn.execute("SELECT * FROM invocations LIMIT 0").description}
    for name, kind in FLOW_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE invocations ADD COLUMN {name} {kind.format(real=real)}")
    for sql in _statements(real):
        conn.execute(sql)


def _statements(real: str) -> list[str]:
    return [
        # What is due under flow control: the lease reads only these rows for its plan.
        "CREATE INDEX IF NOT EXISTS invocations_flow_due ON invocations (run_at) "
        "WHERE priority IS NOT NULL AND run_at IS NOT NULL",
        # A lane's oldest due invocations, without reading the rest of its backlog.
        "CREATE INDEX IF NOT EXISTS invocations_flow_lane ON invocations "
        "(function, lane, run_at) WHERE lane IS NOT NULL AND run_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS invocations_flow_lane_ranked ON invocations "
        "(function, lane, priority, run_at) WHERE lane IS NOT NULL AND run_at IS NOT NULL",
        # Due invocations with a priority but no lane, oldest first within each priority.
        "CREATE INDEX IF NOT EXISTS invocations_flow_ranked ON invocations (priority, run_at) "
        "WHERE priority IS NOT NULL AND lane IS NULL AND run_at IS NOT NULL",
        # What holds a concurrency slot: leased (or running) invocations of a key.
        "CREATE INDEX IF NOT EXISTS invocations_flow_leased ON invocations "
        "(function, flow_key) WHERE flow_key IS NOT NULL AND lease_owner IS NOT NULL",
        # One GCRA bucket per (function or destination, key): `tat` the theoretical arrival
        # time, `open_at` the first instant the next start conforms.
        f"""CREATE TABLE IF NOT EXISTS flow_rates (
            function TEXT NOT NULL,
            key TEXT NOT NULL,
            tat {real} NOT NULL,
            open_at {real} NOT NULL,
            PRIMARY KEY (function, key)
        )""",
        "CREATE INDEX IF NOT EXISTS flow_rates_open ON flow_rates (open_at)",
        # The lanes in the order they are served: least recently served first. `version`
        # moves on with every submit into the lane, so a lane is deleted only if nothing was
        # submitted into it since the lease looked. `width`: how many of its heads may start at
        # once (its concurrency limit; NULL for a rate-limit lane), so that many are read.
        f"""CREATE TABLE IF NOT EXISTS flow_lanes (
            function TEXT NOT NULL,
            key TEXT NOT NULL,
            served_at {real} NOT NULL,
            version INTEGER NOT NULL,
            width INTEGER,
            PRIMARY KEY (function, key)
        )""",
        "CREATE INDEX IF NOT EXISTS flow_lanes_turn ON flow_lanes (served_at)",
    ]
