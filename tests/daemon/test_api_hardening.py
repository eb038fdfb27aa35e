"""The API of a real daemon against clients that misbehave: idle and trickling connections,
more connections than the open-files limit allows, malformed requests, and a shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon.conftest import Api, MakeDaemon
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

HOST = "127.0.0.1"
RECORD = """\
record:
  target: {type: python, handler: "testfns:record"}
"""
SLOW = """\
slow:
  target: {type: python, handler: "testfns:slow"}
  timeout: 30s
"""
IDLE_CONNECTIONS = 2000
DAEMON_OPEN_FILES = 512


def log_lines(daemon: Daemon) -> list[dict[str, Any]]:
    """Every line of the daemon's output, each of which must be one JSON object."""
    lines = daemon.log().splitlines()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line is not JSON: {line[:300]!r}") from None
    return parsed


@contextlib.contextmanager
def open_files_at_least(wanted: int) -> Iterator[None]:
    """Raise this process's own `ulimit -n`, the client side of a connection flood."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        raise AssertionError(f"the test needs {wanted} open files; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.x response with a Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (h.partition(":") for h in header_lines if h)
    }
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


async def closed_by_server(reader: asyncio.StreamReader) -> None:
    """Returns once the server has closed the connection (anything it sent is dropped)."""
    with contextlib.suppress(ConnectionError):
        while await reader.read(65536):
            pass


async def hold_idle_connections_and_ask(daemon: Daemon, count: int) -> None:
    """Open `count` connections that send half a request line and stop, then, while they are
    held, send real requests: each must be answered."""
    held: list[asyncio.StreamWriter] = []
    connector = aiohttp.TCPConnector(force_close=True)
    with open_files_at_least(count + 512):
        try:
            async with asyncio.timeout(90), aiohttp.ClientSession(connector=connector) as session:
                for _ in range(count):
                    _, writer = await asyncio.open_connection(HOST, daemon.api_port)
                    writer.write(b"GET /healthz HTTP/1.1\r\n")
                    held.append(writer)
                api = Api(session, daemon.url)
                for _ in range(5):
                    async with session.get(f"{daemon.url}/healthz") as resp:
                        assert resp.status == 200
                created = await api.invoke("record", {"n": 1})
                assert (await api.wait(created["id"]))["status"] == "succeeded"
        finally:
            for writer in held:
                writer.close()
            # Closed before this process's open-files limit goes back down.
            await asyncio.gather(*(w.wait_closed() for w in held), return_exceptions=True)


async def test_idle_connections_past_the_open_files_limit_do_not_lock_out_requests(
    make_daemon: MakeDaemon,
) -> None:
    """2,000 idle connections against a daemon whose `ulimit -n` is 512: requests sent while
    they are held are still answered, and the log says so in a few JSON lines instead of a
    flood of accept() tracebacks."""
    daemon, _, _ = make_daemon(RECORD, open_files=DAEMON_OPEN_FILES)
    daemon.start()
    await hold_idle_connections_and_ask(daemon, IDLE_CONNECTIONS)
    lines = log_lines(daemon)
    full = [line for line in lines if "connection limit reached" in line["event"]]
    assert full, "the connection limit was never reached"
    # One line per interval at most, however many connections were closed for room.
    assert len(full) <= 10 and len(lines) < 100, lines[-20:]
    listening = next(line for line in lines if line["event"] == "api listening")
    assert listening["max_connections"] < DAEMON_OPEN_FILES


HOG = """\
import os

HELD = []

async def hold_files(event):
    HELD.extend(os.open(os.devnull, os.O_RDONLY) for _ in range(event.data["files"]))
    return len(HELD)
"""


async def test_accept_failing_for_want_of_descriptors_logs_a_line_not_a_flood(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Something else in the daemon holds most descriptors (here a function), so accept()
    fails before the connection limit is reached: one throttled JSON line, idle
    connections are closed to free descriptors, and requests are still answered."""
    (tmp_path / "hogfns.py").write_text(HOG)
    hog = 'hog:\n  target: {type: python, handler: "hogfns:hold_files"}\n'
    daemon, _, _ = make_daemon(RECORD + hog, open_files=DAEMON_OPEN_FILES)
    daemon.start()
    api = Api(api_session, daemon.url)
    hogged = await api.wait((await api.invoke("hog", {"files": 240}))["id"])
    assert hogged["status"] == "succeeded", hogged
    await hold_idle_connections_and_ask(daemon, 600)
    lines = log_lines(daemon)
    failed = [line for line in lines if "cannot accept connections" in line["event"]]
    assert failed, "accept() never ran out of descriptors"
    assert len(failed) <= 10 and len(lines) < 100, lines[-20:]


async def test_idle_and_trickling_clients_are_closed_after_the_header_timeout(
    make_daemon: MakeDaemon,
) -> None:
    daemon, _, port = make_daemon(RECORD, api="header_timeout: 1s")
    daemon.start()

    async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            for byte in data:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)

    request = b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Slow: " + b"x" * 100
    async with (
        connection(port) as (idle, _),
        connection(port) as (slow, slow_writer),
        connection(port) as (second, second_writer),
    ):
        # A second request on a kept-alive connection gets the same deadline.
        second_writer.write(b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n")
        assert (await read_response(second))[0] == 200
        sender = asyncio.create_task(trickle(slow_writer, request))
        second_sender = asyncio.create_task(trickle(second_writer, request))
        started = time.monotonic()
        try:
            async with asyncio.timeout(8):
                await asyncio.gather(
                    closed_by_server(idle), closed_by_server(slow), closed_by_server(second)
                )
        finally:
            sender.cancel()
            second_sender.cancel()
        # Closed at the deadline, not when the trickle (20 s of it) ended.
        assert time.monotonic() - started < 8


async def test_a_body_slower_than_the_body_timeout_gets_408(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, _, port = make_daemon(RECORD, api="body_timeout: 1s")
    daemon.start()
    async with connection(port) as (reader, writer):
        writer.write(
            b"POST /v1/functions/record/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + b'{"n": '
        )
        async with asyncio.timeout(10):
            status, headers, body = await read_response(reader)
    assert status == 408, body
    assert headers["connection"].lower() == "close"
    assert "body_timeout" in json.loads(body)["error"]
    async with api_session.get(f"{daemon.url}/v1/invocations") as resp:
        assert (await resp.json())["items"] == []


MALFORMED = {
    "NUL in a header": b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-A: a\x00b\r\n\r\n",
    "control character in a header": (
        b"GET /healthz HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer hunter2\x01\r\n\r\n"
    ),
    "header over 8190 bytes": (
        b"GET /healthz HTTP/1.1\r\nHost: hub\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n"
    ),
    "URL over 8190 bytes": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: hub\r\n\r\n",
    "too many headers": (
        b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n"
    ),
    "unknown method": b"BR{W /healthz HTTP/1.1\r\nHost: hub\r\n\r\n",
    "non-ASCII path": "GET /h\u00e9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
    "TLS handshake": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
}


# aiohttp's C parser, and its pure-Python one (which quotes more of a bad request in its
# messages).
PARSERS = {"c": {}, "python": {"AIOHTTP_NO_EXTENSIONS": "1"}}


@pytest.mark.parametrize("parser", sorted(PARSERS))
async def test_requests_the_parser_refuses_get_json_errors_and_the_log_stays_json(
    make_daemon: MakeDaemon, parser: str
) -> None:
    daemon, _, port = make_daemon(RECORD, env=PARSERS[parser])
    daemon.start()
    for what, data in MALFORMED.items():
        async with connection(port) as (reader, writer):
            writer.write(data)
            async with asyncio.timeout(10):
                status, headers, body = await read_response(reader)
        assert headers["content-type"].startswith("application/json"), (what, headers)
        error = json.loads(body)["error"]
        # The pure-Python parser lets a non-ASCII path through, to a JSON 404.
        assert status == 400 or (parser == "python" and status == 404), (what, body)
        assert error.startswith("malformed request") or status == 404, (what, error)
        assert b"hunter2" not in body
    assert daemon.terminate() == 0
    lines = log_lines(daemon)
    assert "hunter2" not in daemon.log()
    assert any(line["event"] == "malformed request refused" for line in lines)


async def draining_with_one_running(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> tuple[Daemon, Api, str]:
    """A daemon sent SIGTERM while an invocation runs: its drain lasts about 3 s."""
    daemon, _, _ = make_daemon(SLOW, hub="drain_timeout: 20s\n")
    daemon.start()
    api = Api(api_session, daemon.url)
    running = (await api.invoke("slow", {"seconds": 3.0}))["id"]
    await api.wait(running, {"running"})
    os.kill(daemon.pid, signal.SIGTERM)

    async def draining() -> bool:
        async with api_session.get(f"{daemon.url}/readyz") as resp:
            return resp.status == 503 and (await resp.json())["status"] == "draining"

    await until(draining, timeout=10)
    return daemon, api, running


async def test_sigterm_keeps_probes_and_reads_up_while_draining_and_refuses_new_work(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, api, running = await draining_with_one_running(make_daemon, api_session)
    async with api_session.get(f"{daemon.url}/healthz") as resp:
        assert resp.status == 200
    async with api_session.post(
        f"{daemon.url}/v1/functions/slow/invocations", json={"seconds": 0}
    ) as resp:
        assert resp.status == 503
        assert 1 <= int(resp.headers["Retry-After"]) <= 30  # trigger stop (10 s) + drain
        assert "shutting down" in (await resp.json())["error"]
    assert (await api.get(running))["status"] == "running"
    assert await asyncio.to_thread(daemon.terminate) == 0
    daemon.start()
    inv = await api.get(running)
    assert inv["status"] == "succeeded" and inv["attempts"] == 1, inv


async def test_a_sighup_while_draining_starts_nothing_again(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    """A reload during the drain would start the triggers that were just stopped, mid-shutdown,
    never to be closed."""
    daemon, _, _ = await draining_with_one_running(make_daemon, api_session)
    os.kill(daemon.pid, signal.SIGHUP)
    assert await asyncio.to_thread(daemon.terminate) == 0
    events = [line["event"] for line in log_lines(daemon)]
    assert "config reloaded" not in events
    assert events.count("triggers applied") <= 1, events


def test_listening_beyond_loopback_without_a_token_names_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{tmp_path}/hub.db"}}
              api: {{listen: "0.0.0.0:{free_port()}", token_env: HUB_TOKEN_FOR_TEST}}
            functions: {{}}
            triggers: {{}}
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "HUB_TOKEN_FOR_TEST"}
    done = subprocess.run(
        [sys.executable, "-m", "hub", "run", "-c", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "HUB_TOKEN_FOR_TEST" in done.stderr


async def open_live_stream(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A console page's stream of live updates (no token: the console needs no login)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"GET /ui/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return reader, writer


async def test_many_live_streams_do_not_lock_out_requests(make_daemon: MakeDaemon) -> None:
    """One client opens more console live streams than the daemon takes connections: the
    oldest streams are closed to make room (a browser reopens its own), requests are answered."""
    limit = 16
    daemon, _, port = make_daemon(RECORD, api=f"max_connections: {limit}")
    daemon.start()
    streams = []
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as session:
            for _ in range(3 * limit):
                streams.append(await open_live_stream(port))
            # The newest streams are served: each gets its response's head.
            for reader, _ in streams[-limit // 2 :]:
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            api = Api(session, daemon.url)
            for _ in range(5):
                async with session.get(f"{daemon.url}/healthz") as resp:
                    assert resp.status == 200
            created = await api.invoke("record", {"n": 1})
            assert (await api.wait(created["id"]))["status"] == "succeeded"
            # The oldest ones were closed to make room.
            await asyncio.wait_for(closed_by_server(streams[0][0]), 20)
    finally:
        for _, writer in streams:
            writer.close()


async def test_without_a_token_only_loopback_host_names_are_answered(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    """DNS rebinding: a page from another site has its name resolve to 127.0.0.1 and calls the
    token-less API as its own origin. Its requests carry that name as Host: refused."""
    daemon, _, port = make_daemon(RECORD)
    daemon.start()
    rebound = {"Host": f"attacker.example:{port}"}
    for method, path in [
        ("GET", "/ui/"),
        ("GET", "/ui/invocations"),
        ("GET", "/v1/invocations"),
        ("POST", "/v1/functions/record/invocations"),
    ]:
        async with api_session.request(
            method, f"{daemon.url}{path}", json={"n": 1}, headers=rebound
        ) as resp:
            assert resp.status == 403, (path, await resp.text())
            assert "loopback host name" in (await resp.json())["error"]
    async with api_session.get(f"{daemon.url}/healthz", headers=rebound) as resp:
        assert resp.status == 200
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        async with api_session.get(f"{daemon.url}/ui/", headers={"Host": host}) as resp:
            assert resp.status == 200, host
    async with api_session.get(f"{daemon.url}/v1/invocations") as resp:
        assert (await resp.json())["items"] == []  # the refused invoke created nothing


async def test_without_a_token_another_sites_page_cannot_change_anything(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    """Cross-site request forgery: another site's page posts a form or a fetch to
    http://127.0.0.1:<port>. The browser names the page's origin: refused."""
    daemon, _, port = make_daemon(RECORD)
    daemon.start()
    for origin in ("https://attacker.example", "null", "http://127.0.0.1.attacker.example"):
        for path in ("/v1/functions/record/invocations", "/v1/functions/record/pause"):
            async with api_session.post(
                f"{daemon.url}{path}",
                data=b"n=1",
                headers={"Origin": origin, "Content-Type": "text/plain"},
            ) as resp:
                assert resp.status == 403, (origin, path, await resp.text())
    async with api_session.get(f"{daemon.url}/v1/functions") as resp:
        [record] = (await resp.json())["items"]
        assert record["paused"] is False, record
    async with api_session.get(f"{daemon.url}/v1/invocations") as resp:
        assert (await resp.json())["items"] == []
    # The console's own pages post from a loopback origin; clients without Origin are served.
    for headers in ({"Origin": f"http://localhost:{port}"}, {}):
        async with api_session.post(
            f"{daemon.url}/v1/functions/record/invocations", json={"n": 2}, headers=headers
        ) as resp:
            assert resp.status == 202, await resp.text()
