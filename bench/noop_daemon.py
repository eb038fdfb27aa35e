"""The daemon configuration the HTTP benchmarks share: one no-op python function
(`benchfn:handle`, written by each benchmark), 64 executors, no triggers, quiet logs."""

from __future__ import annotations

from pathlib import Path

_CONFIG = """\
hub:
  store: {{url: "{store}"{sync}}}
  executors: 64
  api: {{listen: "127.0.0.1:{port}"}}
  log: {{format: json, level: warning}}
functions:
  noop:
    target: {{type: python, handler: "benchfn:handle"}}
    concurrency: 64
triggers: {{}}
"""


def noop_config(store: str, port: int, synchronous: str | None = "full") -> str:
    """`store` is the store URL; `synchronous` SQLite's setting (None for other stores)."""
    sync = "" if synchronous is None else f", synchronous: {synchronous}"
    return _CONFIG.format(store=store, sync=sync, port=port)


def sqlite_url(db: Path) -> str:
    return f"sqlite:///{db}"
