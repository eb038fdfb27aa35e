from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub import Hub
from hub.api import ApiServer, create_app
from hub.config.functions import FunctionConfig
from hub.config.settings import HubSettings, StoreSettings
from tests.api import functions

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 64 * 1024
# The shape of TriggerSet.status() (hub.intake.trigger_status.TriggerStatus.to_dict()).
TRIGGERS = {
    "orders": {
        "type": "kafka",
        "functions": ["echo"],
        "state": "connected",
        "last_error": "ConnectionError('broker went away')",
        "events_in": 42,
        "events_filtered": 2,
        "last_event_at": "2024-05-01T12:00:00.000000Z",
        "lag": 7,
        "restarts": 3,
    }
}


def fn(handler: str, **settings: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "python", "handler": f"tests.api.functions:{handler}"}, **settings}
    )


FUNCTIONS = {
    "echo": fn("echo"),
    "refuse-once": fn("refuse_once"),
    "webhook": FunctionConfig.model_validate(
        {
            "target": {
                "type": "http",
                "url": "http://user:hunter2@127.0.0.1:9/hook",
                "headers": {"X-Api-Key": "hunter2"},
            }
        }
    ),
    "script": FunctionConfig.model_validate(
        {"target": {"type": "command", "argv": ["true"], "env": {"PASSWORD": "hunter2"}}}
    ),
}


@dataclass
class Api:
    hub: Hub
    server: ApiServer
    session: aiohttp.ClientSession
    """Sends the bearer token on every request."""
    readiness: dict[str, bool] = field(default_factory=lambda: {"ready": True})

    @property
    def url(self) -> str:
        return self.server.url


def hub_settings(tmp_path: Path) -> HubSettings:
    return HubSettings(store=StoreSettings(url=f"sqlite:///{tmp_path}/hub.db"))


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    functions.reset()
    readiness = {"ready": True}
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        app = create_app(
            hub,
            token=TOKEN,
            max_body_bytes=MAX_BODY,
            triggers_status=lambda: TRIGGERS,
            ready=lambda: readiness["ready"],
        )
        server = ApiServer(app)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url, headers=AUTH) as session:
                yield Api(hub, server, session, readiness)
        finally:
            await server.stop()
