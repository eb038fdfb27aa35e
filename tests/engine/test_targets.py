"""http and command targets against a real local HTTP server and real processes."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hub import Condition, Event, Status
from hub.config.functions import FunctionConfig
from tests.engine.conftest import FAST, MakeHub


class Endpoint:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.replies: list[tuple[int, dict[str, str], str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        status, headers, body = self.replies.pop(0) if self.replies else (200, {}, '{"ok":true}')
        return web.Response(
            status=status, headers=headers, text=body, content_type="application/json"
        )


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[Endpoint, str]]:
    ep = Endpoint()
    app = web.Application()
    app.router.add_post("/fn", ep.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield ep, str(server.make_url("/fn"))
    await server.close()


def http_fn(url: str, **settings: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {
            "target": {"type": "http", "url": url, "headers": {"x-app": "1"}},
            "retry_backoff": FAST,
            **settings,
        }
    )


def command_fn(*argv: str, **settings: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "command", "argv": list(argv)}, "retry_backoff": FAST, **settings}
    )


async def test_http_binary_mode(make_hub: MakeHub, endpoint: tuple[Endpoint, str]) -> None:
    ep, url = endpoint
    event = Event(
        type="com.example.thing",
        source="/src",
        subject="s1",
        data={"v": 1},
        extensions={"region": "eu"},
        idempotency_key="k1",
    )
    async with make_hub({"h": http_fn(url)}) as hub:
        [sub] = await hub.submit("h", [event])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED and inv.response == {"ok": True}
    [(headers, body)] = ep.requests
    assert headers["ce-type"] == "com.example.thing" and headers["ce-source"] == "/src"
    assert headers["ce-id"] == event.id and headers["ce-subject"] == "s1"
    assert headers["ce-specversion"] == "1.0" and headers["ce-region"] == "eu"
    assert headers["ce-idempotencykey"] == "k1" and headers["x-app"] == "1"
    assert headers["Content-Type"] == "application/json" and body == b'{"v":1}'


async def test_http_bytes_body(make_hub: MakeHub, endpoint: tuple[Endpoint, str]) -> None:
    ep, url = endpoint
    event = Event(type="t", source="s", data=b"\x00\xffraw", datacontenttype="image/png")
    async with make_hub({"h": http_fn(url)}) as hub:
        [sub] = await hub.submit("h", [event])
        await hub.wait(sub.id, timeout=10)
    [(headers, body)] = ep.requests
    assert body == b"\x00\xffraw" and headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("replies", "status", "condition", "attempts"),
    [
        ([(400, {}, '{"error":"bad"}')], Status.FAILED, Condition.NON_RETRYABLE, 1),
        ([(404, {}, "{}")], Status.FAILED, Condition.NON_RETRYABLE, 1),
        (
            [(500, {}, "{}"), (408, {}, "{}"), (200, {}, "{}")],
            Status.SUCCEEDED,
            Condition.SUCCESS,
            3,
        ),
        (
            [(429, {"Retry-After": "0.2"}, "{}"), (200, {}, "{}")],
            Status.SUCCEEDED,
            Condition.SUCCESS,
            2,
        ),
        ([(503, {}, "{}")] * 3, Status.FAILED, Condition.RETRIES_EXHAUSTED, 3),
    ],
)
async def test_http_status_codes(
    make_hub: MakeHub,
    endpoint: tuple[Endpoint, str],
    replies: list[tuple[int, dict[str, str], str]],
    status: Status,
    condition: Condition,
    attempts: int,
) -> None:
    ep, url = endpoint
    ep.replies = list(replies)
    async with make_hub({"h": http_fn(url)}) as hub:
        [sub] = await hub.submit("h", [Event(type="t", source="s", data=1)])
        inv = await hub.wait(sub.id, timeout=10)
    assert (inv.status, inv.condition, inv.attempts) == (status, condition, attempts)
    if status is Status.FAILED:
        assert (inv.last_error or "").startswith(f"HTTP {replies[-1][0]}")


async def test_http_retry_after_delays_next_attempt(
    make_hub: MakeHub, endpoint: tuple[Endpoint, str]
) -> None:
    ep, url = endpoint
    ep.replies = [(429, {"Retry-After": "0.3"}, "{}")]
    async with make_hub({"h": http_fn(url)}) as hub:
        [sub] = await hub.submit("h", [Event(type="t", source="s")])
        inv = await hub.wait(sub.id, timeout=10)
    first, second = [t.at for t in inv.history if t.status == "running"]
    assert second - first >= 0.3


async def test_http_function_down_is_retried(make_hub: MakeHub, unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/fn"
    async with make_hub({"h": http_fn(url, max_retry_attempts=1)}) as hub:
        [sub] = await hub.submit("h", [Event(type="t", source="s")])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED and inv.attempts == 2
    assert "HTTP request to" in (inv.last_error or "")


async def test_command_gets_event_on_stdin(make_hub: MakeHub) -> None:
    script = "import sys, json; e = json.load(sys.stdin); print(json.dumps({'got': e['data']}))"
    async with make_hub({"c": command_fn(sys.executable, "-c", script)}) as hub:
        [sub] = await hub.submit("c", [Event(type="t", source="s", data=[1, 2])])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.SUCCEEDED and inv.response == {"got": [1, 2]}


async def test_command_nonzero_exit_is_a_failed_attempt(make_hub: MakeHub) -> None:
    script = "import sys; sys.stderr.write('boom'); sys.exit(3)"
    fns = {"c": command_fn(sys.executable, "-c", script, max_retry_attempts=0)}
    async with make_hub(fns) as hub:
        [sub] = await hub.submit("c", [Event(type="t", source="s")])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED and inv.last_error == "exit code 3: boom"


async def test_command_timeout_and_stop_kill_the_process(make_hub: MakeHub, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    fns = {"c": command_fn(sys.executable, "-c", script, max_retry_attempts=0, timeout=0.5)}
    async with make_hub(fns) as hub:
        [sub] = await hub.submit("c", [Event(type="t", source="s")])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED and inv.last_error == "timed out after 0.5s"
    pid = int(pidfile.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_command_missing_program_fails_clearly(make_hub: MakeHub) -> None:
    fns = {"c": command_fn("/nonexistent/program", max_retry_attempts=0)}
    async with make_hub(fns) as hub:
        [sub] = await hub.submit("c", [Event(type="t", source="s")])
        inv = await hub.wait(sub.id, timeout=10)
    assert inv.status is Status.FAILED
    assert "FileNotFoundError" in (inv.last_error or "")
