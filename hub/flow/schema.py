"""The flow-control tables, created beside the invocation store's own (IF NOT EXISTS, so an
existing store gains them when a daemon of this version opens it).

`flow_keys`: who holds a debounce or singleton key of a function — the pending debounced
invocation, or the one active singleton — and since when; the row is also what two daemons
submitting with the same key lock on. `flow_marks`: which active invocations an event of a
`cancel_on` trigger would cancel. Both rows expire when their invocation can no longer be
active (its deadline plus the longest attempt), and are swept then.
"""


def statements(real: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS flow_keys (
            function TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            invocation_id TEXT NOT NULL,
            since {real} NOT NULL,
            expires_at {real} NOT NULL,
            PRIMARY KEY (function, kind, key)
        )""",
        "CREATE INDEX IF NOT EXISTS flow_keys_expiry ON flow_keys (expires_at)",
        f"""CREATE TABLE IF NOT EXISTS flow_marks (
            function TEXT NOT NULL,
            mark TEXT NOT NULL,
            invocation_id TEXT NOT NULL,
            expires_at {real} NOT NULL,
            PRIMARY KEY (function, mark, invocation_id)
        )""",
        "CREATE INDEX IF NOT EXISTS flow_marks_expiry ON flow_marks (expires_at)",
        # A debounce folding a new event into its pending invocation replaces that one's marks.
        "CREATE INDEX IF NOT EXISTS flow_marks_invocation ON flow_marks (invocation_id)",
    ]
