"""A MongoDB trigger's `batch` (the old spelling, still read) is flow control's `batching` of
the trigger: a real daemon from YAML gathers the changes into `triggerhub.batch` invocations
in its store, runs them in change order with `ordering: document`, retries only the changes
a batch reports failed, and resumes after a SIGKILL at the token committed with the batch's
changes: every change is run, none read twice into a second invocation."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.mongodb.conftest import Client
from tests.mongodb.daemons import trigger_status, watching
from tests.servers.daemon import Daemon
from tests.servers.mongodb import MongoDatabase
from tests.servers.process import free_port
from tests.waiting import until

DOCS = 30

HANDLER = """
import json, os

def run(event):
    seen, failing = [], []
    for m in event.data:
        change = m["data"]
        n = change["documentKey"]["_id"]
        if change["operationType"] == "insert":
            v = change["fullDocument"]["v"]
        else:
            v = change["updateDescription"]["updatedFields"]["v"]
        seen.append([n, v])
        marker = os.path.join(os.environ["MARKS"], f"{n}-{v}")
        if n % 7 == 0 and v == 0 and not os.path.exists(marker):
            open(marker, "w").close()
            failing.append(m["id"])
    line = {"type": event.type, "seen": seen, "failed": len(failing),
            "keys": [m["idempotencykey"] for m in event.data]}
    fd = os.open(os.environ["SINK_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\\n").encode())
    finally:
        os.close(fd)
    return {"failed": failing}
"""


def config(workdir: Path, database: MongoDatabase, port: int) -> Path:
    workdir.mkdir(exist_ok=True)
    (workdir / "batches.py").write_text(HANDLER)
    (workdir / "marks").mkdir(exist_ok=True)
    path = workdir / "triggers.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            hub:
              store: {{url: "sqlite:///{workdir}/hub.db", lease_timeout: 2s}}
              api: {{listen: "127.0.0.1:{port}"}}
            functions:
              load:
                target: {{type: python, handler: "batches:run"}}
                timeout: 3s
                max_retry_attempts: 3
                retry_backoff: {{initial: 100ms, jitter: false}}
            triggers:
              orders:
                type: mongodb
                function: load
                uri: "{database.url}"
                database: {database.name}
                collection: orders
                max_await: 100ms
                ordering: document
                batch: {{size: 10, window: 300ms}}
            """
        )
    )
    return path


def runs(workdir: Path) -> list[dict[str, Any]]:
    sink = workdir / "sink.jsonl"
    if not sink.exists():
        return []
    return [json.loads(line) for line in sink.read_bytes().split(b"\n")[:-1]]


def done(workdir: Path) -> set[tuple[int, int]]:
    """The changes some attempt ran and did not report failed."""
    out: set[tuple[int, int]] = set()
    for run in runs(workdir):
        out |= {(n, v) for n, v in run["seen"] if not (n % 7 == 0 and v == 0) or not run["failed"]}
    return out


async def update_all(orders: Any, v: int) -> None:
    for n in range(DOCS):
        await orders.update_one({"_id": n}, {"$set": {"v": v}})


@pytest.mark.timeout(240)
async def test_batch_is_flow_batching_in_change_order_with_partial_failures_across_a_sigkill(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    mongodb_database: MongoDatabase,
    client: Client,
) -> None:
    port = free_port()
    path = config(tmp_path, mongodb_database, port)
    env = {"SINK_FILE": str(tmp_path / "sink.jsonl"), "MARKS": str(tmp_path / "marks")}
    daemon = daemon_factory(path, tmp_path, env, api_port=port)
    orders = client[mongodb_database.name]["orders"]
    async with aiohttp.ClientSession() as session:
        daemon.start()
        await until(lambda: watching(session, daemon), timeout=60)
        assert (
            "triggers.orders.batch: deprecated spelling; write `batching` instead" in daemon.log()
        )
        # The changes, in the order the server makes them: inserts (v 0), then two updates.
        await orders.insert_many([{"_id": n, "v": 0} for n in range(DOCS)])
        await update_all(orders, 1)
        # Killed once the failing changes are retried (a kill between a failure and its record
        # would run the whole batch again instead), while the updates may still be running.
        inserted = {(n, 0) for n in range(DOCS)}
        await until(lambda: done(tmp_path) >= inserted, timeout=60)
        daemon.kill()
        await update_all(orders, 2)  # while no daemon runs
        daemon.start()
        expected = [(n, v) for v in range(3) for n in range(DOCS)]
        await until(lambda: done(tmp_path) >= set(expected), timeout=120)
        status = await trigger_status(session, daemon)
    assert daemon.terminate() == 0

    every = runs(tmp_path)
    assert {run["type"] for run in every} == {"triggerhub.batch"}
    assert all(1 <= len(run["seen"]) <= 10 for run in every)
    assert all(key.startswith("mongodb:") for run in every for key in run["keys"])
    # Change order: what each run saw first, in the order the runs happened, is the order the
    # changes were made (a retry, or a batch a SIGKILL cut short, sees its changes again).
    firsts: list[tuple[int, int]] = []
    for run in every:
        firsts += [(n, v) for n, v in map(tuple, run["seen"]) if (n, v) not in firsts]
    assert firsts == expected
    # A batch that reported failures was retried with exactly the failed changes.
    retries = [run["seen"] for run in every if all(n % 7 == 0 and v == 0 for n, v in run["seen"])]
    assert {n for seen in retries for n, _ in seen} == set(range(0, DOCS, 7))
    # Resumed at the committed token: nothing read twice into another invocation.
    assert status["detail"]["opened_with"] == "resume_after"
