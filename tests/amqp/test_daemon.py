"""The daemon, fed by an amqp trigger, is SIGKILLed mid-stream and started again: no message is
lost; repeats (invocations that were running when it died and ran again) are counted."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from hub.config.settings import StoreSettings
from hub.status import Status
from hub.store import open_store
from tests.amqp.broker import declare_bound_queue, message, publish, queue_depth
from tests.amqp.helpers import all_invocations
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.servers.rabbitmq import Vhost
from tests.waiting import until

TOTAL = 2000
SINK = """\
import os

async def record(event):
    # One line per execution; O_APPEND keeps lines whole, and a SIGKILL loses no written line.
    fd = os.open(os.environ["AMQP_SINK"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (event.id + "\\n").encode())
    finally:
        os.close(fd)
"""
CONFIG = """\
hub:
  store: {{url: "sqlite:///{db}", lease_timeout: 1s}}
  api: {{listen: "127.0.0.1:{port}"}}
  log: {{format: json, level: info}}
  max_backlog: 300          # intake and execution interleave, so the kill lands mid-stream
  drain_timeout: 5s
functions:
  f:
    target: {{type: python, handler: "sink:record"}}
    concurrency: 32
triggers:
  orders:
    type: amqp
    function: f
    url: "{url}"
    exchange: orders
    binding_keys: ["order.#"]
    queue: orders-in
    prefetch: 128
    batch_size: 64
"""


def sink_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
async def test_sigkill_mid_stream_loses_nothing(
    rabbitmq_vhost: Vhost,
    daemon_factory: Callable[..., Daemon],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    url, db, sink = rabbitmq_vhost.url, tmp_path / "hub.db", tmp_path / "sink.log"
    port = free_port()
    (tmp_path / "sink.py").write_text(SINK)
    config = tmp_path / "triggers.yaml"
    config.write_text(CONFIG.format(db=db, port=port, url=url))
    await declare_bound_queue(url, "orders", "orders-in", ["order.#"])
    sent = [
        ("order.created", message(orjson.dumps({"n": n}), message_id=f"m{n:05}"))
        for n in range(TOTAL)
    ]
    await publish(url, "orders", sent)

    daemon = daemon_factory(config, tmp_path, {"AMQP_SINK": str(sink)}, api_port=port)
    await asyncio.to_thread(daemon.start)
    await until(lambda: len(sink_lines(sink)) >= TOTAL // 4, timeout=60)
    daemon.kill()
    at_kill = len(sink_lines(sink))
    assert at_kill < TOTAL, "the stream had already ended: the kill proves nothing"

    await asyncio.to_thread(daemon.start)
    expected = {f"m{n:05}" for n in range(TOTAL)}
    await until(lambda: set(sink_lines(sink)) >= expected, timeout=90)
    assert await asyncio.to_thread(daemon.terminate) == 0
    assert await asyncio.to_thread(queue_depth, rabbitmq_vhost, "orders-in") == 0

    executions = Counter(sink_lines(sink))
    repeats = sum(count - 1 for count in executions.values())
    store = open_store(StoreSettings(url=f"sqlite:///{db}"))
    await store.open()
    try:
        invocations = await all_invocations(store)
    finally:
        await store.close()
    record_property("executed_before_kill", at_kill)
    record_property("repeated_executions", repeats)
    print(f"\nSIGKILL after {at_kill} of {TOTAL} executions: {repeats} ran twice")
    assert set(executions) == expected
    # Redelivered messages were refused by their key: one invocation per message, all done.
    assert len(invocations) == TOTAL
    assert {inv.event.id for inv in invocations} == expected
    assert {inv.status for inv in invocations} == {Status.SUCCEEDED}
    # Only attempts that were running at the kill can run again.
    assert repeats <= 32 + 128
