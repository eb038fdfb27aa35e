"""What the request handlers share, stored on the application under a typed key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from hub.api_defaults import BODY_TIMEOUT
from hub.engine import Hub
from hub.metrics import Metrics
from hub.scraped_metrics import TriggersStatus

TriggerLookup = Callable[[str], Any]
Ready = Callable[[], bool]
# Seconds left of the shutdown drain while the daemon drains; None otherwise.
Draining = Callable[[], float | None]


@dataclass(slots=True, frozen=True)
class ApiSettings:
    token: str | None
    max_body_bytes: int
    body_timeout: float = BODY_TIMEOUT


@dataclass(slots=True, frozen=True)
class ApiContext:
    hub: Hub
    settings: ApiSettings
    metrics: Metrics
    openapi: bytes
    triggers_status: TriggersStatus | None = None
    ready: Ready | None = None
    trigger_config: TriggerLookup | None = None
    draining: Draining | None = None


CONTEXT = web.AppKey("triggerhub", ApiContext)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
