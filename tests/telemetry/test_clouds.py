"""An invoke through a cloud's API (boto3's Lambda client here) with a W3C `traceparent`
header: the invocation's trace is a child of the caller's, like the hub's own invoke route."""

from __future__ import annotations

import json
import secrets
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.clouds.conftest import (
    ACCESS_KEY,
    CONFIG,
    HANDLERS,
    MAX_BODY,
    SECRET,
    TOKEN,
    CloudHub,
    invoke_lambda,
)
from tests.clouds.test_lambda import lambda_client, with_headers
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.telemetry.collector import Collector
from tests.waiting import until


@pytest.mark.timeout(90)
async def test_a_lambda_invoke_with_a_traceparent_parents_the_trace(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], collector: Collector
) -> None:
    port = free_port()
    (tmp_path / "handlers.py").write_text(textwrap.dedent(HANDLERS))
    config = CONFIG.format(tmp=tmp_path, port=port, max_body=MAX_BODY, key=ACCESS_KEY)
    traced = config.replace(
        "hub:\n", f'hub:\n  telemetry: {{otlp_endpoint: "{collector.endpoint}"}}\n'
    )
    (tmp_path / "triggers.yaml").write_text(traced)
    env = {"CLOUDS_TEST_TOKEN": TOKEN, "CLOUDS_TEST_SECRET": SECRET}
    daemon = daemon_factory(tmp_path / "triggers.yaml", tmp_path, env, api_port=port)
    daemon.start()
    hub = CloudHub(daemon)
    trace_id, sender = secrets.token_hex(16), secrets.token_hex(8)
    client = with_headers(lambda_client(hub), {"traceparent": f"00-{trace_id}-{sender}-01"})
    answer = await invoke_lambda(
        client, FunctionName="echo", InvocationType="Event", Payload=json.dumps({"n": 1})
    )
    assert answer["StatusCode"] == 202
    await hub.status_becomes(answer["ResponseMetadata"]["RequestId"], "succeeded")
    assert daemon.terminate() == 0
    await until(lambda: len(collector.named("process echo")) == 1, timeout=10)
    [receive] = collector.named("receive api")
    assert (receive.trace_id, receive.parent_span_id) == (trace_id, sender)
    [attempt] = collector.named("process echo")
    assert (attempt.trace_id, attempt.parent_span_id) == (trace_id, receive.span_id)
