"""Invocation stores, chosen by URL: `sqlite:///PATH` (embedded) or `postgresql://…` (shared)."""

from __future__ import annotations

from hub.config.settings import StoreSettings
from hub.errors import ConfigError
from hub.store.base import InvocationStore


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` url; None for other stores."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://")
    path = path[1:] if path.startswith("/") else path
    if not path:
        raise ConfigError(f"store url {url!r} names no file; write sqlite:///path/to/hub.db")
    return path


def open_store(settings: StoreSettings) -> InvocationStore:
    url = settings.url
    path = sqlite_path(url)
    if path is not None:
        from hub.store.sqlite import SqliteStore

        return SqliteStore(path, settings.synchronous, settings.dedup_window)
    if url.startswith(("postgresql://", "postgres://")):
        from hub.store.postgres import PostgresStore

        return PostgresStore(url, settings.dedup_window)
    raise ConfigError(
        f"store url {url!r} is not supported; use sqlite:///PATH or postgresql://USER@HOST/DB"
    )
