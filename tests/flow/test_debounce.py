"""`debounce: {key, period, max_wait}`: a burst with one key becomes one invocation carrying the
last event, started `period` after the burst's last event and at most `max_wait` after its
first; kept in the store, so several daemons and a restart see the same pending invocation."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from tests.flow.conftest import StartCluster, at
from tests.waiting import until

FUNCTIONS = """\
doc:
  target: {type: python, handler: "flowfns:work"}
  debounce: {key: data.doc, period: 1s, max_wait: 30s}
"""
CAPPED = """\
doc:
  target: {type: python, handler: "flowfns:work"}
  debounce: {key: data.doc, period: 1s, max_wait: 2500ms}
"""


async def test_a_burst_becomes_one_invocation_with_the_last_event(
    start_cluster: StartCluster,
) -> None:
    cluster = start_cluster(FUNCTIONS)
    ids = set()
    for n in range(5):
        last_sent = time.time()
        ids.add((await cluster.invoke("doc", {"doc": "d1", "n": n}))["id"])
        await asyncio.sleep(0.2)
    other = await cluster.invoke("doc", {"doc": "d2", "n": "other"})
    keyless = await cluster.invoke("doc", {"n": "no doc field"})
    assert len(ids) == 1  # every daemon answered with the same pending invocation
    [pending] = ids
    inv = await cluster.wait(pending)
    assert inv["status"] == "succeeded"
    assert inv["event"]["data"] == {"doc": "d1", "n": 4}
    # Due a period after the last event was taken, never earlier.
    assert at(inv["not_before"]) >= last_sent + 1.0
    assert at(inv["started_at"]) >= at(inv["not_before"])
    assert (await cluster.wait(other["id"]))["status"] == "succeeded"
    # No key field: not debounced, due at once like any invocation.
    plain = await cluster.wait(keyless["id"])
    assert at(plain["not_before"]) <= at(plain["created_at"])
    assert plain["history"][0] == {"status": "queued", "at": plain["created_at"], "detail": None}
    await until(lambda: len(cluster.runs("end")) == 3)
    assert sorted(str(r["data"]["n"]) for r in cluster.runs()) == ["4", "no doc field", "other"]


async def test_max_wait_caps_a_burst_that_never_pauses(start_cluster: StartCluster) -> None:
    cluster = start_cluster(CAPPED)
    first_sent = time.time()
    ids: list[str] = []
    while time.time() - first_sent < 5.0:  # an event every 0.3 s: never a 1 s pause
        ids.append((await cluster.invoke("doc", {"doc": "d", "n": len(ids)}))["id"])
        await asyncio.sleep(0.3)
    first = await cluster.wait(ids[0])
    assert first["status"] == "succeeded"
    assert at(first["not_before"]) - at(first["created_at"]) <= 2.5 + 1e-3
    # Events after the first invocation was leased started a second burst.
    assert len(set(ids)) >= 2
    last = await cluster.wait(ids[-1])
    assert last["event"]["data"]["n"] == len(ids) - 1
    await until(lambda: len(cluster.runs("end")) == len(set(ids)))


async def test_a_restart_mid_debounce_loses_nothing(start_cluster: StartCluster) -> None:
    cluster = start_cluster(FUNCTIONS.replace("period: 1s", "period: 3s"))
    before = {(await cluster.invoke("doc", {"doc": "d", "n": n}))["id"] for n in range(3)}
    assert len(before) == 1
    for daemon in cluster.daemons:  # the crash case: no shutdown work at all
        daemon.kill()
    for daemon in cluster.daemons:
        daemon.start()
    after = (await cluster.invoke("doc", {"doc": "d", "n": 3}))["id"]
    [pending] = before
    first = await cluster.wait(pending)
    assert first["status"] == "succeeded"
    if after == pending:  # restarted within the period: the burst goes on
        assert first["event"]["data"] == {"doc": "d", "n": 3}
    else:  # restarting took longer than the period: the pending one ran, a new burst began
        assert first["event"]["data"] == {"doc": "d", "n": 2}
        assert (await cluster.wait(after))["event"]["data"] == {"doc": "d", "n": 3}
    await until(lambda: len(cluster.runs("end")) == len({pending, after}))


async def test_a_trigger_overrides_the_function_for_its_own_events(
    start_cluster: StartCluster, tmp_path: Path
) -> None:
    lines = tmp_path / "edits.jsonl"
    lines.touch()
    cluster = start_cluster(
        'plain:\n  target: {type: python, handler: "flowfns:work"}\n',
        f"""\
        edits:
          type: log_stream
          function: plain
          paths: ["{lines}"]
          from: start
          format: jsonl
          poll_interval: 100ms
          debounce: {{key: data.doc, period: 1500ms}}
        """,
    )
    for n in range(4):
        with lines.open("a") as f:
            f.write(json.dumps({"doc": "d", "n": n}) + "\n")
        await asyncio.sleep(0.2)
    # The function itself is not debounced: its API submits run one by one.
    direct = [await cluster.invoke("plain", {"doc": "d", "n": f"api{n}"}) for n in range(2)]
    assert len({d["id"] for d in direct}) == 2
    await until(lambda: len(cluster.runs("end")) == 3, timeout=20)
    ran = sorted(str(r["data"]["n"]) for r in cluster.runs())
    assert ran == ["3", "api0", "api1"]


KEYED = """\
doc:
  target: {type: python, handler: "flowfns:work"}
  debounce: {key: data.doc, period: 500ms}
  key_concurrency: {key: data.tenant, limit: 1}
"""


async def test_a_debounced_invocation_is_limited_by_the_event_it_carries(
    start_cluster: StartCluster,
) -> None:
    """With flow control on both sides, the pending invocation runs the last event of the
    burst: that event's concurrency key and priority hold it back, not the first one's."""
    cluster = start_cluster(KEYED)
    # No doc field, so not debounced: it holds tenant B's one slot for 4 s.
    busy = await cluster.invoke("doc", {"tenant": "B", "seconds": 4, "n": "busy"})
    await until(lambda: [r["data"]["n"] for r in cluster.runs()] == ["busy"], timeout=20)
    first = await cluster.invoke("doc", {"doc": "d1", "tenant": "A", "n": 1})
    last = await cluster.invoke(
        "doc", {"doc": "d1", "tenant": "B", "n": 2}, **{"X-Triggerhub-Priority": "7"}
    )
    assert first["id"] == last["id"]
    inv = await cluster.wait(last["id"])
    held = await cluster.wait(busy["id"])
    assert inv["status"] == "succeeded" and inv["event"]["data"]["tenant"] == "B"
    assert inv["priority"] == 7
    # Tenant B's slot was taken until the busy one finished.
    assert at(inv["started_at"]) >= at(held["finished_at"])
