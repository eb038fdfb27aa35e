"""Destination kinds: destination type name → config model + lazily imported deliverer, and
sending one outbox row through its kind (`send_record`).

`function`, `http` and `file` are built in and registered here; a plugin package registers
its own on import (the kafka and amqp trigger packages do), a third-party distribution through
the entry-point group `triggerhub.destinations`, each resolving to a `DestinationKind`. An
outbox row's destination is validated by its kind into the typed model its deliverer takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import orjson
from pydantic import BaseModel

from hub.config.destinations import FileDestination, FunctionDestination, HttpDestination
from hub.errors import ConfigError
from hub.kinds import Kind, KindRegistry, shared_registry

ENTRY_POINT_GROUP = "triggerhub.destinations"


class Deliverer(Protocol):
    """Delivers one destination record (JSON bytes) to the destination `config` describes and
    returns where it went, for the invocation's history; raises when it could not, and the
    outbox retries it."""

    async def __call__(
        self, config: Any, record: bytes, session: aiohttp.ClientSession, /
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class DestinationKind(Kind[BaseModel, Deliverer]):
    """`factory_path` names a `Deliverer` taking an instance of `config_model`."""


destination_kinds: KindRegistry[DestinationKind] = shared_registry(
    "destination", ENTRY_POINT_GROUP, DestinationKind
)


def register_destination(kind: DestinationKind) -> None:
    """Called by a plugin package when it is imported."""
    destination_kinds.register(kind)


for _kind in (
    DestinationKind(
        "function",
        FunctionDestination,
        "hub.destinations.builtin:deliver_to_function",
        doc="Another function, invoked with the record as its event's data.",
    ),
    DestinationKind(
        "http",
        HttpDestination,
        "hub.destinations.builtin:deliver_http",
        doc="An HTTP POST of the record; any 2xx is delivered.",
    ),
    DestinationKind(
        "file",
        FileDestination,
        "hub.destinations.builtin:deliver_file",
        doc="A JSON-lines file (a dead-letter file); each record appended and fsynced.",
    ),
):
    register_destination(_kind)

_deliverers: dict[tuple[str, str], Deliverer] = {}


async def send_record(destination: bytes, record: bytes, session: aiohttp.ClientSession) -> str:
    """Returns where the record went; raises when it could not be delivered."""
    spec = orjson.loads(destination)
    name = spec.get("type") if isinstance(spec, dict) else None
    try:
        kind = destination_kinds.loaded().get(str(name))
    except ConfigError as exc:  # its plugin was uninstalled since the row was written
        raise RuntimeError(f"no deliverer: {exc}") from None
    config = kind.config_model.model_validate(spec)
    key = (kind.name, kind.factory_path)
    deliverer = _deliverers.get(key)
    if deliverer is None:
        deliverer = _deliverers[key] = kind.load_factory()
    return await deliverer(config, record, session)
