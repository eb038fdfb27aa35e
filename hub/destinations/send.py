"""Sending one outbox row: its destination's kind, found by `type` in the registry, validates
the stored destination into its typed model and hands it with the record to its deliverer."""

from __future__ import annotations

import aiohttp
import orjson

from hub.destinations.kinds import Deliverer, destination_kinds
from hub.errors import ConfigError

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
