"""Authentication, JSON errors for everything, body limits, probes and the admin routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from hub import Hub
from hub.api import ApiServer, create_app
from hub.api.server import is_loopback
from hub.errors import ConfigError
from hub.store.base import ListQuery
from tests.api.conftest import FUNCTIONS, MAX_BODY, TOKEN, TRIGGERS, Api, hub_settings

PROTECTED = [
    ("GET", "/v1/invocations"),
    ("GET", "/v1/functions"),
    ("GET", "/v1/triggers"),
    ("GET", "/metrics"),
    ("GET", "/v1/openapi.json"),
    ("POST", "/v1/functions/echo/invocations"),
    ("GET", "/no/such/route"),
]


@pytest.fixture
async def anonymous(api: Api) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(api.url) as session:
        yield session


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
async def test_routes_need_the_bearer_token(
    anonymous: aiohttp.ClientSession, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with anonymous.request(method, path, headers=headers) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert "token" in (await resp.json())["error"]


async def test_the_token_opens_the_routes(api: Api) -> None:
    for method, path in PROTECTED[:-1]:
        async with api.session.request(method, path) as resp:
            assert resp.status < 300, path


async def test_probes_need_no_token(api: Api, anonymous: aiohttp.ClientSession) -> None:
    for path in ("/healthz", "/readyz"):
        async with anonymous.get(path) as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] in {"ok", "ready"}


async def test_readyz_follows_the_ready_callback(api: Api) -> None:
    api.readiness["ready"] = False
    async with api.session.get("/readyz") as resp:
        assert resp.status == 503
        assert (await resp.json())["error"] == "not ready"
    async with api.session.get("/healthz") as resp:
        assert resp.status == 200
    api.readiness["ready"] = True
    async with api.session.get("/readyz") as resp:
        assert resp.status == 200


async def test_unknown_route_and_wrong_method_are_json(api: Api) -> None:
    async with api.session.get("/v2/nothing") as resp:
        assert resp.status == 404
        assert resp.content_type == "application/json"
        assert (await resp.json())["error"] == "no such route"
    async with api.session.delete("/v1/invocations") as resp:
        assert resp.status == 405
        assert resp.content_type == "application/json"
        assert "GET" in resp.headers["Allow"]
        assert "DELETE" in (await resp.json())["error"]


async def test_body_over_the_limit_is_413_by_content_length(api: Api) -> None:
    body = b"x" * (MAX_BODY + 1)
    async with api.session.post("/v1/functions/echo/invocations", data=body) as resp:
        assert resp.status == 413
        assert str(MAX_BODY) in (await resp.json())["error"]
    async with api.session.post("/v1/functions/echo/invocations", data=body[:-1]) as resp:
        assert resp.status == 202


async def test_chunked_body_over_the_limit_is_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY // 1024 + 1):
            yield b"y" * 1024

    async with api.session.post("/v1/functions/echo/invocations", data=chunks()) as resp:
        assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert resp.status == 413
        assert resp.content_type == "application/json"
    page = await api.hub.query(ListQuery())
    assert page.items == []


async def test_functions_are_listed_without_secrets(api: Api) -> None:
    async with api.session.get("/v1/functions") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "hunter2" not in text
    items = {item["name"]: item for item in (await resp.json())["items"]}
    assert sorted(items) == sorted(FUNCTIONS)
    assert items["webhook"]["target"]["headers"] == {"X-Api-Key": "***"}
    assert items["webhook"]["target"]["url"] == "http://user:***@127.0.0.1:9/hook"
    assert items["script"]["target"]["env"] == {"PASSWORD": "***"}
    assert items["echo"]["max_retry_attempts"] == 2


async def test_triggers_show_the_status_callback(api: Api) -> None:
    async with api.session.get("/v1/triggers") as resp:
        assert resp.status == 200
        assert await resp.json() == TRIGGERS


async def test_no_token_is_allowed_only_on_loopback(tmp_path: Path) -> None:
    async with Hub(hub_settings(tmp_path), FUNCTIONS) as hub:
        server = ApiServer(create_app(hub, token=None, max_body_bytes=MAX_BODY))
        with pytest.raises(ConfigError, match="without a token"):
            await server.start("0.0.0.0", 0)
        await server.start("127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession(server.url) as session:
                async with session.get("/v1/triggers") as resp:
                    assert resp.status == 200
                    assert await resp.json() == {}
                async with session.get("/v1/openapi.json") as resp:
                    assert (await resp.json())["security"] == []
        finally:
            await server.stop()


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "", "10.0.0.1", "example.com"]))


def test_empty_token_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        create_app(Hub(), token="", max_body_bytes=1)
