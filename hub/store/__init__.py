"""Invocation stores, chosen by URL scheme: `sqlite:///PATH` (embedded), `postgresql://…`
(shared), or a plugin's (hub/store/kinds.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.config.settings import StoreSettings
from hub.errors import ConfigError
from hub.store.base import InvocationStore

if TYPE_CHECKING:
    from hub.store.kinds import StoreFactory


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
    """The store of the URL's scheme, from the store kinds (hub/store/kinds.py)."""
    from hub.plugins.registry import default_registry
    from hub.store.kinds import store_kinds

    scheme, sep, _ = settings.url.partition("://")
    sqlite_path(settings.url)  # a sqlite URL that names no file is refused here, with its fix
    if not sep or scheme not in store_kinds.kinds():
        default_registry()  # a third-party backend's entry point
    kind = store_kinds.kinds().get(scheme) if sep else None
    if kind is None:
        raise ConfigError(
            f"store url {settings.url!r} is not supported; use sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        )
    factory: StoreFactory = kind.load_factory()
    return factory(settings)
