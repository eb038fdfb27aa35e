"""A daemon with `hub.telemetry` exports the trace of each invocation to a real OTLP/HTTP
receiver: the receive span under the sender's context, a span per attempt, a span per
destination delivery, and the context passed on to targets and destinations."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.daemon.conftest import Api, write_config
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.telemetry.collector import Collector, ReceivedSpan
from tests.waiting import until

HANDLERS = """
from opentelemetry import trace

def traced(event):
    context = trace.get_current_span().get_span_context()
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
"""
WRITE_TRACEPARENT = (
    "import os, sys; open(sys.argv[1], 'w').write(os.environ.get('TRACEPARENT', ''))"
)


@dataclass
class Endpoints:
    """The http target (fails its first call) and the on_success destination."""

    port: int
    target_traceparents: list[str] = field(default_factory=list)
    destination_traceparents: list[str] = field(default_factory=list)
    records: list[dict[str, object]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def target(self, request: web.Request) -> web.Response:
        self.target_traceparents.append(request.headers.get("traceparent", ""))
        if len(self.target_traceparents) == 1:
            return web.Response(status=500, text="warming up")
        return web.json_response({"ok": True})

    async def destination(self, request: web.Request) -> web.Response:
        self.destination_traceparents.append(request.headers.get("traceparent", ""))
        self.records.append(await request.json())
        return web.Response(status=204)


@pytest.fixture
async def endpoints() -> AsyncIterator[Endpoints]:
    found = Endpoints(port=free_port())
    app = web.Application()
    app.router.add_post("/target", found.target)
    app.router.add_post("/destination", found.destination)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", found.port).start()
    try:
        yield found
    finally:
        await runner.cleanup()


def traced_daemon(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    otlp_endpoint: str,
    endpoints: Endpoints | None = None,
    env: dict[str, str] | None = None,
) -> Daemon:
    (tmp_path / "tracedfns.py").write_text(HANDLERS)
    target = endpoints.url if endpoints is not None else "http://127.0.0.1:9"
    functions = f"""\
flaky:
  target: {{type: http, url: "{target}/target"}}
  max_retry_attempts: 2
  retry_backoff: {{initial: 50ms, max: 50ms, jitter: false}}
  on_success: "{target}/destination"
shell:
  target:
    type: command
    argv: ["{sys.executable}", "-c", "{WRITE_TRACEPARENT}", "{tmp_path / "env.txt"}"]
handler:
  target: {{type: python, handler: "tracedfns:traced"}}
"""
    port = free_port()
    config = tmp_path / "triggers.yaml"
    hub = f'log: {{format: json}}\ntelemetry: {{otlp_endpoint: "{otlp_endpoint}"}}\n'
    write_config(config, port, functions, hub)
    daemon = daemon_factory(config, tmp_path, api_port=port, env=env or {})
    daemon.start()
    return daemon


def new_traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def one(spans: list[ReceivedSpan]) -> ReceivedSpan:
    assert len(spans) == 1, spans
    return spans[0]


@pytest.mark.timeout(90)
async def test_an_invocation_that_retried_and_delivered_is_one_trace(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    collector: Collector,
    endpoints: Endpoints,
) -> None:
    # Exported only by the flush on stop: a schedule this long never comes round in the test.
    daemon = traced_daemon(
        tmp_path,
        daemon_factory,
        collector.endpoint,
        endpoints,
        {"OTEL_BSP_SCHEDULE_DELAY": "600000"},
    )
    header, trace_id, sender_span = new_traceparent()
    async with aiohttp.ClientSession() as session:
        api = Api(session, daemon.url)
        accepted = await api.invoke("flaky", {"n": 1}, traceparent=header)
        inv = await api.wait(accepted["id"])
        assert inv["status"] == "succeeded", inv
        await until(lambda: len(endpoints.records) == 1, timeout=30)
    assert daemon.terminate() == 0
    await until(lambda: len(collector.named("send http")) == 1, timeout=10)
    assert collector.content_types == {"application/x-protobuf"}

    receive = one(collector.named("receive api"))
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender_span)
    assert receive.links == [(trace_id, sender_span)]
    assert receive.kind == "consumer"
    event_id = inv["event"]["id"]
    assert receive.attributes == {
        "messaging.system": "triggerhub",
        "messaging.operation.type": "receive",
        "messaging.operation.name": "receive",
        "messaging.destination.name": "api",
        "messaging.message.id": event_id,
        "cloudevents.event_source": "/v1/functions/flaky",
        "cloudevents.event_type": "triggerhub.http.invoke",
        "triggerhub.invocation.id": [accepted["id"]],
    }
    assert receive.resource["service.name"] == "triggerhub"

    first, second = collector.named("process flaky")
    for number, attempt in enumerate((first, second), start=1):
        assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
        assert attempt.kind == "consumer"
        assert attempt.attributes["messaging.system"] == "triggerhub"
        assert attempt.attributes["messaging.operation.type"] == "process"
        assert attempt.attributes["messaging.destination.name"] == "flaky"
        assert attempt.attributes["messaging.message.id"] == event_id
        assert attempt.attributes["triggerhub.invocation.id"] == accepted["id"]
        assert attempt.attributes["triggerhub.attempt"] == number
    assert first.status == "error"
    assert first.status_message.startswith("HTTP 500: warming up")
    assert first.attributes["error.type"] == "retrying"
    assert second.status == "ok"
    assert second.attributes["triggerhub.condition"] == "Success"
    assert "error.type" not in second.attributes

    delivery = one(collector.named("send http"))
    assert (delivery.trace_id, delivery.parent_span_id) == (trace_id, second.span_id)
    assert delivery.kind == "producer"
    assert delivery.status == "ok"
    assert delivery.attributes["messaging.operation.type"] == "send"
    assert delivery.attributes["triggerhub.destination.slot"] == "on_success"
    assert delivery.attributes["triggerhub.invocation.id"] == accepted["id"]

    # What the target and the destination were handed: the context of the span that called.
    assert endpoints.target_traceparents == [
        f"00-{trace_id}-{first.span_id}-01",
        f"00-{trace_id}-{second.span_id}-01",
    ]
    assert endpoints.destination_traceparents == [f"00-{trace_id}-{delivery.span_id}-01"]
    assert endpoints.records[0]["traceparent"] == f"00-{trace_id}-{second.span_id}-01"
    # The stored event remembers its receive span, for attempts after a restart.
    assert inv["event"]["traceparent"] == f"00-{trace_id}-{receive.span_id}-01"


@pytest.mark.timeout(90)
async def test_command_and_python_targets_run_in_the_attempt_context(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], collector: Collector
) -> None:
    daemon = traced_daemon(tmp_path, daemon_factory, collector.endpoint)
    async with aiohttp.ClientSession() as session:
        api = Api(session, daemon.url)
        shell = await api.invoke("shell", {"n": 1})
        handler = await api.invoke("handler", {"n": 2})
        assert (await api.wait(shell["id"]))["status"] == "succeeded"
        handled = await api.wait(handler["id"])
        assert handled["status"] == "succeeded", handled
    assert daemon.terminate() == 0
    await until(lambda: len(collector.named("process handler")) == 1, timeout=10)

    shell_attempt = one(collector.named("process shell"))
    env = (tmp_path / "env.txt").read_text()
    # Sampled (01), and the SDK may also set W3C level 2's random-trace-id flag (02).
    assert env.rsplit("-", 1)[0] == f"00-{shell_attempt.trace_id}-{shell_attempt.span_id}"
    assert int(env.rsplit("-", 1)[1], 16) & 1
    # No traceparent came in: the invocation's trace starts at its receive span.
    shell_receive = [
        s for s in collector.named("receive api") if s.span_id == shell_attempt.parent_span_id
    ]
    assert one(shell_receive).parent_span_id == ""

    handler_attempt = one(collector.named("process handler"))
    assert handled["response"] == {
        "trace_id": handler_attempt.trace_id,
        "span_id": handler_attempt.span_id,
    }


@pytest.mark.timeout(90)
async def test_a_collector_that_is_down_costs_one_log_line_and_no_invocation(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    daemon = traced_daemon(tmp_path, daemon_factory, nobody, env={"OTEL_BSP_SCHEDULE_DELAY": "50"})
    async with aiohttp.ClientSession() as session:
        api = Api(session, daemon.url)
        first = [await api.invoke("handler", {"n": n}) for n in range(5)]
        for accepted in first:
            assert (await api.wait(accepted["id"]))["status"] == "succeeded"
        await until(lambda: "trace export failed" in daemon.log(), timeout=30)
        # More spans while the collector is still down: their exports fail too, unlogged.
        second = [await api.invoke("handler", {"n": n}) for n in range(5)]
        for accepted in second:
            assert (await api.wait(accepted["id"]))["status"] == "succeeded"
    assert daemon.terminate() == 0
    lines = [json.loads(line) for line in daemon.log().splitlines() if line.startswith("{")]
    failures = [line for line in lines if line.get("event") == "trace export failed; spans dropped"]
    assert len(failures) == 1, failures
    assert failures[0]["level"] == "warning"
    assert not [line for line in lines if line.get("level") in ("error", "critical")]
    assert "Traceback" not in daemon.log()


@pytest.mark.timeout(120)
async def test_an_attempt_after_a_restart_joins_the_trace_of_its_receive(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], collector: Collector
) -> None:
    daemon = traced_daemon(tmp_path, daemon_factory, collector.endpoint)
    header, trace_id, _ = new_traceparent()
    async with aiohttp.ClientSession() as session:
        api = Api(session, daemon.url)
        # Due only after the restart: the daemon that received it never runs it.
        accepted = await api.invoke(
            "handler", {"n": 1}, traceparent=header, **{"X-Triggerhub-Delay": "4"}
        )
        assert daemon.terminate() == 0
        await until(lambda: len(collector.named("receive api")) == 1, timeout=10)
        assert collector.named("process handler") == []
        daemon.start()
        handled = await api.wait(accepted["id"], timeout=60)
        assert handled["status"] == "succeeded", handled
    assert daemon.terminate() == 0
    await until(lambda: len(collector.named("process handler")) == 1, timeout=10)
    receive = one(collector.named("receive api"))
    attempt = one(collector.named("process handler"))
    assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
    assert handled["response"] == {"trace_id": trace_id, "span_id": attempt.span_id}
