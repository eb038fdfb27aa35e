"""Invocation stores, chosen by URL scheme: `sqlite:///PATH` (embedded), `postgresql://…`
(shared), or a plugin's (hub/store/kinds.py)."""

from __future__ import annotations

from hub.config.settings import StoreSettings
from hub.errors import ConfigError
from hub.store.base import InvocationStore
from hub.store.kinds import StoreFactory, sqlite_path, store_kinds

__all__ = ["open_store", "sqlite_path"]


def open_store(settings: StoreSettings) -> InvocationStore:
    """The store of the URL's scheme, from the store kinds (hub/store/kinds.py)."""
    scheme, sep, _ = settings.url.partition("://")
    sqlite_path(settings.url)  # a sqlite URL that names no file is refused here, with its fix
    kind = store_kinds.loaded().kinds().get(scheme) if sep else None
    if kind is None:
        raise ConfigError(
            f"store url {settings.url!r} is not supported; use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        )
    factory: StoreFactory = kind.load_factory()
    return factory(settings)
