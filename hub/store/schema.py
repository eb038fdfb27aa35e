"""Tables of the invocation store, in SQL that SQLite and PostgreSQL both accept.

Each status change is one UPDATE of one row (its history included) and touches at most the
due index. `run_at` is the one time the dispatcher looks at: when a queued or retrying
invocation is due, or when a lease runs out (so a dead daemon's work comes back). It is NULL
once final, and a partial index on it makes "what is due" and "when is the next" cheap at any
backlog size.
"""

from hub.flow import schema as flow_schema
from hub.store import pauses


def statements(blob: str, real: str, json: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS invocations (
            id TEXT PRIMARY KEY,
            function TEXT NOT NULL,
            status TEXT NOT NULL,
            event {blob} NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            invoke_count INTEGER NOT NULL DEFAULT 0,
            created_at {real} NOT NULL,
            not_before {real} NOT NULL,
            deadline {real} NOT NULL,
            idempotency_key TEXT,
            started_at {real},
            finished_at {real},
            last_error TEXT,
            response {blob},
            condition TEXT,
            destination_error TEXT,
            lease_owner TEXT,
            run_at {real},
            ordering_key TEXT,
            history {json} NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS invocations_due ON invocations (run_at) "
        "WHERE run_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS invocations_by_function ON invocations (function, id)",
        # The active invocations of each ordering key, oldest first: the lease takes only the
        # head of each key. Ordered invocations alone pay for its upkeep.
        "CREATE INDEX IF NOT EXISTS invocations_ordered ON invocations "
        "(function, ordering_key, id) WHERE ordering_key IS NOT NULL AND run_at IS NOT NULL",
        # Only the outcomes people hunt for (to redrive them); active invocations are found
        # through invocations_due, and succeeded ones are most rows, so a scan by id finds them.
        # Keyed on `condition`, which only finishing changes, so starting an attempt does not
        # pay for this index.
        "CREATE INDEX IF NOT EXISTS invocations_unsuccessful ON invocations (condition, id) "
        "WHERE condition <> 'Success'",
        # Active invocations by status: the backlog by status and function (the console,
        # /metrics, `triggerhub status`) is counted from this small index alone, not from every
        # active row with its event, and a list of one active status pages through it newest
        # first however rare the status. Keyed on what a lease does not change.
        "CREATE INDEX IF NOT EXISTS invocations_active ON invocations (status, id, function) "
        "WHERE run_at IS NOT NULL",
        f"""CREATE TABLE IF NOT EXISTS idempotency (
            function TEXT NOT NULL,
            key TEXT NOT NULL,
            invocation_id TEXT NOT NULL,
            expires_at {real} NOT NULL,
            PRIMARY KEY (function, key)
        )""",
        f"""CREATE TABLE IF NOT EXISTS outbox (
            id TEXT PRIMARY KEY,
            invocation_id TEXT NOT NULL,
            slot TEXT NOT NULL,
            destination {blob} NOT NULL,
            record {blob} NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            run_at {real} NOT NULL,
            lease_owner TEXT,
            last_error TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (run_at)",
        f"""CREATE TABLE IF NOT EXISTS checkpoints (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at {real} NOT NULL
        )""",
        f"""CREATE TABLE IF NOT EXISTS source_leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at {real} NOT NULL
        )""",
        # One row the store rewrites to learn whether it can write again after running out
        # of space (hub/store/health.py); `padding` makes it as big as a typical submit.
        f"""CREATE TABLE IF NOT EXISTS write_probe (
            id INTEGER PRIMARY KEY,
            written_at {real} NOT NULL,
            padding {blob} NOT NULL
        )""",
        *pauses.statements(real),
        *flow_schema.statements(real),
    ]
