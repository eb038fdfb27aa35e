"""No secret leaves the daemon: known secrets are planted in every secret-bearing place of a
config, the daemon runs it with failing targets, destinations and triggers, refuses broken
reloads, `triggerhub validate` reads broken variants — and every output is searched for them."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.daemon.conftest import FINAL
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
ENV_SECRET = "planted-s3cr3t-value"  # SECRET_TOKEN, written as ${SECRET_TOKEN}
AMQP_SECRET = "planted-amqp-pa55word"  # AMQP_PASSWORD, inside a broker URL
API_TOKEN = "planted-api-bearer-token"  # TRIGGERHUB_API_TOKEN
URL_PASSWORD = "planted-url-pa55word"  # written in the file: a target URL's password
QUERY_KEY = "planted-query-api-key"  # written in the file: ?api_key=
HEADER_KEY = "planted-header-key-9"  # written in the file: X-Api-Key
DEST_PASSWORD = "planted-dest-pa55word"  # written in the file: a destination URL's password
KAFKA_PASSWORD = "planted-kafka-pa55word"  # written in the file: sasl_plain_password
SECRETS = (
    # aiohttp sends a URL's user and password as basic credentials, which the server echoes.
    base64.b64encode(f"dlq:{DEST_PASSWORD}".encode()).decode(),
    ENV_SECRET,
    AMQP_SECRET,
    API_TOKEN,
    URL_PASSWORD,
    QUERY_KEY,
    HEADER_KEY,
    DEST_PASSWORD,
    KAFKA_PASSWORD,
)
ENV = {"SECRET_TOKEN": ENV_SECRET, "AMQP_PASSWORD": AMQP_SECRET, "TRIGGERHUB_API_TOKEN": API_TOKEN}

CONFIG = """\
hub:
  store: {url: "sqlite:///@WORK@/hub.db"}
  api: {listen: "127.0.0.1:@API@"}
  destination_attempts: 1
functions:
  down:
    target:
      type: http
      url: "http://hub:@URL_PASSWORD@@127.0.0.1:@CLOSED@/fn?api_key=@QUERY_KEY@&q=${SECRET_TOKEN}"
      headers: {X-Api-Key: "@HEADER_KEY@"}
    timeout: 10s
    max_retry_attempts: 1
    retry_backoff: {initial: 10ms, max: 10ms}
    on_failure: "file:@WORK@/dead-letter.jsonl"
  refused:
    target:
      type: http
      url: "http://127.0.0.1:@ECHO@/fn?api_key=@QUERY_KEY@&q=${SECRET_TOKEN}"
      headers: {Authorization: "Bearer ${SECRET_TOKEN}", X-Api-Key: "@HEADER_KEY@"}
    max_retry_attempts: 0
    on_failure:
      type: http
      url: "http://dlq:@DEST_PASSWORD@@127.0.0.1:@ECHO@/dlq?token=${SECRET_TOKEN}"
  leaky:
    target: {type: python, handler: "leaky:handle"}
    max_retry_attempts: 0
    on_failure: "file:@WORK@/dead-letter.jsonl"
  script:
    target:
      type: command
      argv: ["@PYTHON@", "-c", "import os, sys; sys.exit('refused ' + os.environ['DB_PASSWORD'])"]
      env: {DB_PASSWORD: "${SECRET_TOKEN}"}
    max_retry_attempts: 0
    on_failure: "file:@WORK@/dead-letter.jsonl"
triggers:
  orders:
    type: amqp
    function: down
    url: "amqp://hub:${AMQP_PASSWORD}@127.0.0.1:@CLOSED@/"
    queue: orders
  events:
    type: kafka
    function: down
    bootstrap_servers: "127.0.0.1:@CLOSED@"
    topics: [events]
    group_id: hub
    security_protocol: SASL_PLAINTEXT
    sasl_mechanism: PLAIN
    sasl_plain_username: hub
    sasl_plain_password: "@KAFKA_PASSWORD@"
  ticks:
    type: timer
    function: leaky
    schedule: "@every 1h"
"""
# Event data is the caller's: passed on and shown as it came, a presigned URL included.
DATA = {"n": 1, "link": "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=0ddc0ffee"}
# A handler that does what handlers do: logs and raises with the credential it was given.
LEAKY = """\
import logging
import os

import structlog


def handle(event):
    token = os.environ["SECRET_TOKEN"]
    structlog.get_logger("leaky").warning("calling upstream", auth=f"Bearer {token}")
    logging.getLogger("upstream.client").warning("POST %s refused", f"https://u:{token}@up/")
    raise RuntimeError(f"upstream refused the token {token}")
"""
# Each breaks the file in one way that makes a validator quote a secret-bearing value.
BROKEN = {
    "listen": ('listen: "127.0.0.1:@API@"', 'listen: "${SECRET_TOKEN}"'),
    "timeout": ("timeout: 10s", "timeout: ${SECRET_TOKEN}"),
    "target type": ("type: python", 'type: "${SECRET_TOKEN}"'),
    "on_failure": ('on_failure: "file:@WORK@/dead-letter.jsonl"', "on_failure: ${SECRET_TOKEN}"),
    "sasl_plain_password": ('sasl_plain_password: "@KAFKA_PASSWORD@"', "sasl_plain_password: 9"),
    "schedule": ('schedule: "@every 1h"', "schedule: ${SECRET_TOKEN}"),
    "url scheme": ('url: "http://hub:@URL_PASSWORD@', 'url: "ftp://hub:@URL_PASSWORD@'),
    "retries": ("max_retry_attempts: 1", "max_retry_attempts: ${SECRET_TOKEN}"),
    "header": ('X-Api-Key: "@HEADER_KEY@"', "X-Api-Key: [@HEADER_KEY@]"),
    "env": ('env: {DB_PASSWORD: "${SECRET_TOKEN}"}', "env: {DB_PASSWORD: ['${SECRET_TOKEN}']}"),
    "amqp url": ('url: "amqp://hub:', 'url: "xamqp://hub:'),
    "kafka start": ("group_id: hub", "group_id: hub\n    start: ${SECRET_TOKEN}"),
    "destination url": ('url: "http://dlq:', 'url: "gopher://dlq:'),
    "handler": ('handler: "leaky:handle"', 'handler: "${SECRET_TOKEN}"'),
    "unknown key": ("queue: orders", "queue: orders\n    password: @KAFKA_PASSWORD@"),
    "store": ('store: {url: "sqlite:///@WORK@/hub.db"}', "store: {synchronous: '${SECRET_TOKEN}'}"),
    "log level": ("destination_attempts: 1", "log: {level: '${SECRET_TOKEN}'}"),
}


class Echo:
    """A loopback server answering 500 with what it got: the path and query, and the
    Authorization header, as careless servers do."""

    async def handle(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        return web.Response(status=500, text=f"no luck with {request.path_qs} ({auth})")


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", Echo().handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    assert server.port is not None
    yield server.port
    await server.close()


def render(template: str, work: Path, api: int, echo: int, closed: int) -> str:
    values = {
        "WORK": str(work),
        "API": str(api),
        "ECHO": str(echo),
        "CLOSED": str(closed),
        "PYTHON": sys.executable,
        "URL_PASSWORD": URL_PASSWORD,
        "QUERY_KEY": QUERY_KEY,
        "HEADER_KEY": HEADER_KEY,
        "DEST_PASSWORD": DEST_PASSWORD,
        "KAFKA_PASSWORD": KAFKA_PASSWORD,
    }
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    return template


async def test_no_secret_leaves_the_daemon(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], echo_port: int
) -> None:
    api_port, closed = free_port(), free_port()

    def config(template: str) -> str:
        return render(template, tmp_path, api_port, echo_port, closed)

    path = tmp_path / "triggers.yaml"
    path.write_text(config(CONFIG))
    (tmp_path / "leaky.py").write_text(LEAKY)
    daemon = daemon_factory(path, tmp_path, ENV, api_port=api_port)
    daemon.start()
    outputs: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with aiohttp.ClientSession(daemon.url, headers=headers) as http:
        ids = await fail_every_way(http, tmp_path / "dead-letter.jsonl")
        # Refused reloads: the daemon logs why, quoting what it read.
        for refused, kind in enumerate(("timeout", "schedule", "sasl_plain_password"), 1):
            old, new = BROKEN[kind]
            path.write_text(config(CONFIG.replace(old, new)))
            await until(lambda n=refused: daemon.log().count("reload refused") == n, timeout=15)
        routes = ["/v1/functions", "/v1/triggers", "/v1/invocations", "/healthz", "/readyz"]
        routes += ["/metrics", "/v1/openapi.json", f"/v1/nothing?token={ENV_SECRET}"]
        for route in routes + [f"/v1/invocations/{i}" for i in ids.values()]:
            async with http.get(route) as resp:
                outputs[f"GET {route}"] = await resp.text()
    cli_env = {**os.environ, **ENV, "TRIGGERHUB_URL": daemon.url}
    for args in (["invocations", "list"], ["invocations", "show", ids["refused"]]):
        outputs[" ".join(args)] = await triggerhub(*args, env=cli_env)
    assert daemon.terminate() == 0
    outputs["daemon log"] = daemon.log()
    outputs["dead-letter file"] = (tmp_path / "dead-letter.jsonl").read_text()
    for kind, (old, new) in BROKEN.items():
        broken = tmp_path / f"broken-{kind.replace(' ', '-')}.yaml"
        broken.write_text(config(CONFIG.replace(old, new)))
        assert broken.read_text() != config(CONFIG), kind
        text = await triggerhub("validate", str(broken), env=cli_env, code=1)
        assert f"{broken}:" in text and "invalid YAML" not in text, text
        outputs[f"validate: {kind}"] = text

    for where, text in outputs.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked in {where}:\n{text}"
    shown_where_secrets_were(outputs, ids)


async def fail_every_way(http: aiohttp.ClientSession, dead_letter: Path) -> dict[str, str]:
    """Invoke every function once and wait for all to fail, their records to reach the
    dead-letter file and the failing http destination to be given up."""
    ids = {}
    for name in ("down", "refused", "leaky", "script"):
        async with http.post(f"/v1/functions/{name}/invocations", json=DATA) as resp:
            assert resp.status == 202, await resp.text()
            ids[name] = (await resp.json())["id"]

    async def settled() -> bool:
        invs = []
        for inv_id in ids.values():
            async with http.get(f"/v1/invocations/{inv_id}") as resp:
                invs.append(await resp.json())
        return all(inv["status"] in FINAL for inv in invs) and bool(invs[1]["destination_error"])

    await until(settled, timeout=30)
    await until(lambda: dead_letter.exists() and dead_letter.read_text().count("\n") == 3)
    return ids


def shown_where_secrets_were(outputs: dict[str, str], ids: dict[str, str]) -> None:
    """What was shown is still worth reading: the masks stand where the secrets were."""
    invs = {name: json.loads(outputs[f"GET /v1/invocations/{i}"]) for name, i in ids.items()}
    down, refused, leaky, script = (invs[n] for n in ("down", "refused", "leaky", "script"))
    assert "http://hub:***@127.0.0.1" in down["last_error"]
    assert "api_key=***&q=***" in down["last_error"]
    details = [step["detail"] or "" for step in down["history"]]
    assert any(d.startswith("attempt 1: HTTP request to http://hub:***@") for d in details)
    assert refused["last_error"].startswith("HTTP 500: no luck with /fn?api_key=***&q=***")
    assert refused["last_error"].endswith("(***)")  # the whole Authorization value
    assert "http://dlq:***@127.0.0.1" in refused["destination_error"]
    assert refused["destination_error"].endswith("(Basic ***)")
    assert leaky["last_error"] == "RuntimeError: upstream refused the token ***"
    assert "refused ***" in script["last_error"]
    records = [json.loads(line) for line in outputs["dead-letter file"].splitlines()]
    errors = sorted(r["response_context"]["function_error"] for r in records)
    assert errors[0].startswith("HTTP request to http://hub:***@127.0.0.1:"), errors
    assert all(r["request_payload"]["data"] == DATA for r in records)
    assert all(inv["event"]["data"] == DATA for inv in invs.values())
    [listed] = [f for f in json.loads(outputs["GET /v1/functions"])["items"] if f["name"] == "down"]
    assert listed["target"]["url"].endswith("/fn?api_key=***&q=***")
    assert listed["target"]["headers"] == {"X-Api-Key": "***"}
    log = outputs["daemon log"]
    assert '"auth": "***"' in log and "functions.down.timeout: '***' is not" in log
    assert '"event": "POST https://u:***@up/ refused"' in log
    assert "hub.api.listen: '***' is not HOST:PORT" in outputs["validate: listen"]
    assert "got ***" in outputs["validate: sasl_plain_password"]


async def triggerhub(*args: str, env: dict[str, str], code: int = 0) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    text = out.decode()
    assert proc.returncode == code, f"triggerhub {' '.join(args)} exited {proc.returncode}:\n{text}"
    return text
