"""Store kinds, chosen by the scheme of the store URL: `sqlite:///PATH` (embedded) or
`postgresql://…` (shared by several daemons). A third-party backend registers through the
entry-point group `triggerhub.stores`, resolving to a `StoreKind` named after its scheme whose
factory opens an `InvocationStore` from the `hub.store` settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.config.settings import StoreSettings
from hub.errors import ConfigError
from hub.kinds import Kind, KindRegistry, shared_registry
from hub.store.base import InvocationStore

ENTRY_POINT_GROUP = "triggerhub.stores"
StoreFactory = Callable[[StoreSettings], InvocationStore]


@dataclass(frozen=True, slots=True)
class StoreKind(Kind[StoreSettings, StoreFactory]):
    """`name` is the URL scheme; `factory_path` names a `StoreFactory`."""


store_kinds: KindRegistry[StoreKind] = shared_registry(
    "store", ENTRY_POINT_GROUP, StoreKind, typed=False
)


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` url; None for other stores."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://")
    path = path[1:] if path.startswith("/") else path
    if not path:
        raise ConfigError(f"store url {url!r} names no file; write sqlite:///path/to/hub.db")
    return path


def open_sqlite(settings: StoreSettings) -> InvocationStore:
    from hub.store.sqlite import SqliteStore

    path = sqlite_path(settings.url)
    assert path is not None, "chosen by its sqlite:// scheme"
    return SqliteStore(path, settings.synchronous, settings.dedup_window)


def open_postgres(settings: StoreSettings) -> InvocationStore:
    from hub.store.postgres import PostgresStore

    return PostgresStore(settings.url, settings.dedup_window)


for _kind in (
    StoreKind("sqlite", StoreSettings, "hub.store.kinds:open_sqlite", doc="An embedded file."),
    StoreKind("postgresql", StoreSettings, "hub.store.kinds:open_postgres", extra="postgres"),
    StoreKind("postgres", StoreSettings, "hub.store.kinds:open_postgres", extra="postgres"),
):
    store_kinds.register(_kind)
