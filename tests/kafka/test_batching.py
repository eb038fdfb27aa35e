"""A Kafka trigger's `batch` (the old spelling, still read) is flow control's `batching` of the
trigger: a real daemon from YAML gathers the records into `triggerhub.batch` invocations in
its store, retries only the records a batch reports failed, keeps a partition's order with
`ordering: partition`, and commits no offset before the records are stored — a SIGKILL
loses none."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.kafka.helpers import produce_many
from tests.servers.daemon import Daemon
from tests.servers.kafka import Topics
from tests.servers.process import free_port
from tests.waiting import until

HANDLER = """
import json, os

def run(event):
    members = event.data
    failing = []
    for m in members:
        n = m["data"]["n"]
        marker = os.path.join(os.environ["MARKS"], str(n))
        if n % 9 == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            failing.append(m["id"])
    line = {"type": event.type, "ns": [m["data"]["n"] for m in members],
            "parts": [m["kafkapartition"] for m in members],
            "keys": [m["idempotencykey"] for m in members], "failed": len(failing)}
    with open(os.environ["SINK_FILE"], "a") as f:
        f.write(json.dumps(line) + "\\n")
    return {"failed": failing}
"""


FIRST, TOTAL = 3000, 3100


def start(
    workdir: Path, daemon_factory: Callable[..., Daemon], topics: Topics, topic: str
) -> Daemon:
    workdir.mkdir(exist_ok=True)
    (workdir / "batches.py").write_text(HANDLER)
    (workdir / "marks").mkdir(exist_ok=True)
    port = free_port()
    config = workdir / "triggers.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{workdir}/hub.db", lease_timeout: 2s}}
              api: {{listen: "127.0.0.1:{port}"}}
            functions:
              load:
                target: {{type: python, handler: "batches:run"}}
                max_retry_attempts: 3
                retry_backoff: {{initial: 100ms, jitter: false}}
            triggers:
              rows:
                type: kafka
                function: load
                bootstrap_servers: "{topics.bootstrap}"
                topics: [{topic}]
                group_id: {topics.name("batching")}
                group_instance_id: one
                start: earliest
                read_window: 20ms
                ordering: partition
                batch: {{size: 10, window: 200ms}}
            """
        )
    )
    env = {"SINK_FILE": str(workdir / "sink.jsonl"), "MARKS": str(workdir / "marks")}
    daemon = daemon_factory(config, workdir, env, api_port=port)
    daemon.start()
    return daemon


def runs(workdir: Path) -> list[dict[str, Any]]:
    sink = workdir / "sink.jsonl"
    if not sink.exists():
        return []
    out = []
    for line in sink.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # torn by the SIGKILL
    return out


def succeeded(workdir: Path) -> set[int]:
    """The records some attempt ran and did not report failed."""
    done: set[int] = set()
    for run in runs(workdir):
        done |= {n for n in run["ns"] if n % 9 != 0 or run["failed"] == 0}
    return done


@pytest.mark.timeout(180)
async def test_batch_is_flow_batching_in_order_partial_failures_and_a_sigkill(
    noida_topics: Topics, daemon_factory: Callable[..., Daemon], tmp_path: Path
) -> None:
    (topic,) = await noida_topics.create("rows", partitions=2)
    first = [orjson.dumps({"n": n}) for n in range(FIRST)]
    await produce_many(noida_topics.bootstrap, topic, first, partitions=2)
    daemon = start(tmp_path, daemon_factory, noida_topics, topic)
    await until(lambda: len(succeeded(tmp_path)) >= 200, timeout=60)
    daemon.kill()
    assert len(succeeded(tmp_path)) < FIRST, "the crash must come in the middle of the stream"
    log = daemon.log()
    assert "triggers.rows.batch: deprecated spelling; write `batching` instead" in log

    second = [orjson.dumps({"n": n}) for n in range(FIRST, TOTAL)]
    await produce_many(noida_topics.bootstrap, topic, second, partitions=2)
    daemon.start()
    await until(lambda: succeeded(tmp_path) >= set(range(TOTAL)), timeout=120)
    assert daemon.terminate() == 0

    every = runs(tmp_path)
    assert {run["type"] for run in every} == {"triggerhub.batch"}
    assert all(1 <= len(run["ns"]) <= 10 for run in every)
    # Each record keeps its own event and idempotency key.
    for run in every:
        for part, key in zip(run["parts"], run["keys"], strict=True):
            assert key.startswith(f"kafka:{topic}:{part}:")
    # ordering: partition: a batch holds one partition's records, and the partition's batches
    # ran one at a time, in offset order (a batch's retry before the next batch): what each
    # run saw first is ascending. Seen again: a retry, or a batch the SIGKILL cut short.
    assert all(len(set(run["parts"])) == 1 for run in every)
    for part in (0, 1):
        firsts: list[int] = []
        for run in every:
            if run["parts"][0] == part:
                firsts += [n for n in run["ns"] if n not in firsts]
        assert firsts == sorted(firsts), f"partition {part} ran out of order"
    # A batch that reported failures was retried with exactly the failed records (after the
    # restart, where no crash can cut in between).
    retries = [set(run["ns"]) for run in every if all(n % 9 == 0 for n in run["ns"])]
    for n in range(FIRST + 9 - FIRST % 9, TOTAL, 9):
        assert any(n in ns for ns in retries), f"record {n} was not retried alone"
