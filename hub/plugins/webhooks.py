"""Push sources: a trigger kind that receives its events over the hub's HTTP API registers a
webhook parser here; `POST /v1/hooks/{kind}/{trigger}` parses the body, filters, durably
submits to the trigger's functions and only then answers, so the sender retries on failure.

A webhook-only kind gives the runtime a `PassiveSource` (it reads nothing by itself)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.events import Event
from hub.plugins.contract import Batch

WebhookParse = Callable[[bytes, Mapping[str, str], Any, str], Sequence[Event]]
"""`(body, headers, trigger_config, trigger_name) -> events`; raises ValueError naming what is
wrong with the body (answered 400)."""


@dataclass(frozen=True, slots=True)
class Webhook:
    kind: str
    trigger_type: str
    parse: WebhookParse


_WEBHOOKS: dict[str, Webhook] = {}
_ROUTE_MODULES: list[str] = []


def register_route_module(module: str) -> None:
    """For a push source that needs its own route: `module` exposes `routes` (an aiohttp
    RouteTableDef) and `OPENAPI_PATHS` (its entries for the API's OpenAPI document). It is
    imported when the API is built, so registering costs nothing at import."""
    if module not in _ROUTE_MODULES:
        _ROUTE_MODULES.append(module)


def route_modules() -> list[str]:
    return list(_ROUTE_MODULES)


def register_webhook(kind: str, trigger_type: str, parse: WebhookParse) -> None:
    _WEBHOOKS[kind] = Webhook(kind, trigger_type, parse)


def webhook(kind: str) -> Webhook | None:
    return _WEBHOOKS.get(kind)


class PassiveSource:
    """The runtime's view of a webhook trigger: connected, never reads; events arrive by HTTP."""

    async def connect(self) -> None:
        return None

    async def read(self) -> Batch:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def close(self) -> None:
        return None
