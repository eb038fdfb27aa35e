"""`batching: {max_size, max_wait, key}`: events gathered into one invocation whose data is the
list of them (each keeps its id and idempotency key); `{"failed": [ids]}` retries only those."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from tests.flow.conftest import StartCluster, at
from tests.waiting import until

FUNCTIONS = """\
tally:
  target: {type: python, handler: "flowfns:gather"}
  batching: {max_size: 10, max_wait: 1s, key: data.tenant}
  max_retry_attempts: 1
  retry_backoff: {initial: 200ms, jitter: false}
"""


def members(run: dict[str, object]) -> list[dict[str, object]]:
    data = run["data"]
    assert isinstance(data, list)
    return data


async def test_events_are_gathered_per_key_each_once(start_cluster: StartCluster) -> None:
    cluster = start_cluster(FUNCTIONS)
    sent = [{"tenant": "t1" if n % 3 else "t2", "n": n} for n in range(30)]
    sent.append({"n": "no tenant"})
    answers = await asyncio.gather(*(cluster.invoke("tally", data) for data in sent))
    batches = {a["id"] for a in answers}
    for inv_id in batches:
        inv = await cluster.wait(inv_id)
        assert inv["status"] == "succeeded", json.dumps(inv, indent=1)  # history, last_error
    await until(lambda: len(cluster.runs("end")) == len(batches))
    runs = cluster.runs()
    got = Counter(str(m["data"]["n"]) for run in runs for m in members(run))  # type: ignore[index]
    assert got == Counter(str(data["n"]) for data in sent)  # every event once, none twice
    for run in runs:
        tenants = {m["data"].get("tenant") for m in members(run)}  # type: ignore[attr-defined]
        assert len(tenants) == 1 and 1 <= len(members(run)) <= 10
        assert all(m["type"] == "triggerhub.http.invoke" and m["id"] for m in members(run))
    assert max(len(members(run)) for run in runs) == 10  # a full batch did not wait
    assert len(batches) < len(sent) // 2


async def test_only_the_failed_events_are_retried(start_cluster: StartCluster) -> None:
    cluster = start_cluster(FUNCTIONS)
    answers = [
        await cluster.invoke("tally", {"tenant": "t", "n": n, "fail": n == 2}) for n in range(4)
    ]
    [batch] = {a["id"] for a in answers}
    inv = await cluster.wait(batch)
    # The retry ran the failed event alone; with the retries spent, the record keeps just it.
    assert (inv["status"], inv["attempts"]) == ("failed", 2)
    assert [m["data"]["n"] for m in inv["event"]["data"]] == [2]
    assert "1 of 4 events of the batch failed" in inv["history"][2]["detail"]
    await until(lambda: len(cluster.runs("end")) == 2)
    sizes = [[m["data"]["n"] for m in members(run)] for run in cluster.runs()]  # type: ignore[index]
    assert sizes == [[0, 1, 2, 3], [2]]


async def test_a_batch_survives_a_restart_and_waits_max_wait(start_cluster: StartCluster) -> None:
    cluster = start_cluster(FUNCTIONS.replace("max_wait: 1s", "max_wait: 4s"))
    answers = [await cluster.invoke("tally", {"tenant": "t", "n": n}) for n in range(3)]
    for daemon in cluster.daemons:
        daemon.kill()
    for daemon in cluster.daemons:
        daemon.start()
    more = await cluster.invoke("tally", {"tenant": "t", "n": 3})
    ids = {a["id"] for a in answers}
    assert len(ids) == 1
    [batch] = ids
    inv = await cluster.wait(batch)
    assert inv["status"] == "succeeded"
    assert at(inv["not_before"]) - at(inv["created_at"]) <= 4.0 + 1e-3
    carried = [m["data"]["n"] for m in inv["event"]["data"]]
    if more["id"] == batch:  # restarted within max_wait: the batch stayed open
        assert carried == [0, 1, 2, 3]
    else:
        assert carried == [0, 1, 2]
        assert (await cluster.wait(more["id"]))["status"] == "succeeded"


async def test_events_of_a_trigger_are_batched_too(
    start_cluster: StartCluster, tmp_path: Path
) -> None:
    lines = tmp_path / "lines.jsonl"
    lines.write_text("".join(json.dumps({"tenant": "t", "n": n}) + "\n" for n in range(5)))
    cluster = start_cluster(
        FUNCTIONS,
        f"""\
        lines:
          type: log_stream
          function: tally
          paths: ["{lines}"]
          from: start
          format: jsonl
          poll_interval: 100ms
        """,
    )
    await until(lambda: len(cluster.runs("end")) >= 1, timeout=20)
    [run] = cluster.runs()
    assert [m["data"]["n"] for m in members(run)] == [0, 1, 2, 3, 4]  # type: ignore[index]
    assert len({m["idempotencykey"] for m in members(run)}) == 5
