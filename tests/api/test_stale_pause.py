"""A pause left in the store after its function was removed from the config can still be
resumed: otherwise it would hold, unseen, whatever function is added back under that name."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from hub import Hub
from hub.api import ApiServer, create_app
from tests.api.conftest import AUTH, FUNCTIONS, MAX_BODY, TOKEN, hub_settings


async def _post(hub: Hub, path: str) -> tuple[int, dict[str, object]]:
    server = ApiServer(create_app(hub, token=TOKEN, max_body_bytes=MAX_BODY))
    await server.start("127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession(server.url, headers=AUTH) as session,
            session.post(path) as resp,
        ):
            body: dict[str, object] = await resp.json()
            return resp.status, body
    finally:
        await server.stop()


async def test_the_pause_of_a_removed_function_can_be_resumed(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path)
    async with Hub(settings, FUNCTIONS) as hub:
        status, _ = await _post(hub, "/v1/functions/echo/pause")
        assert status == 200
    without_echo = {name: config for name, config in FUNCTIONS.items() if name != "echo"}
    async with Hub(settings, without_echo) as hub:
        assert hub.pauses.function_paused("echo")
        status, body = await _post(hub, "/v1/functions/echo/resume")
        assert (status, body["paused"]) == (200, False), body
        # Nothing paused under an unknown name, and an unknown name is still not resumed.
        status, _ = await _post(hub, "/v1/functions/echo/resume")
        assert status == 404
        status, _ = await _post(hub, "/v1/functions/echo/pause")
        assert status == 404
    async with Hub(settings, FUNCTIONS) as hub:
        assert not hub.pauses.function_paused("echo")
