"""`cancel_on`: an event of another trigger stops the function's matching invocations, whether
deferred, queued, retrying or running."""

from __future__ import annotations

import json
from pathlib import Path

from tests.flow.conftest import StartCluster
from tests.waiting import until

FUNCTIONS = """\
fulfil:
  target: {type: python, handler: "flowfns:work"}
  max_retry_attempts: 2
  retry_backoff: {initial: 60s, jitter: false}
  cancel_on:
    - trigger: orders-cancelled
      match: {data.order_id: data.order_id}
note:
  target: {type: python, handler: "flowfns:work"}
"""


def triggers(path: Path) -> str:
    return f"""\
orders-cancelled:
  type: log_stream
  function: note
  paths: ["{path}"]
  from: start
  format: jsonl
  match: {{fields: {{kind: cancel}}}}
  poll_interval: 100ms
"""


def append(path: Path, line: dict[str, object]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n")


async def test_an_event_of_the_trigger_cancels_matching_invocations(
    start_cluster: StartCluster, tmp_path: Path
) -> None:
    cancels = tmp_path / "cancels.jsonl"
    cancels.touch()
    cluster = start_cluster(FUNCTIONS, triggers(cancels))
    deferred = {"X-Triggerhub-Delay": "300"}
    waiting = await cluster.invoke("fulfil", {"order_id": "o1", "n": "deferred"}, **deferred)
    running = await cluster.invoke("fulfil", {"order_id": "o1", "n": "running", "seconds": 30})
    other = await cluster.invoke("fulfil", {"order_id": "o2", "n": "other"}, **deferred)
    keyless = await cluster.invoke("fulfil", {"n": "no order id"}, **deferred)
    await cluster.wait(running["id"], {"running"})
    # A cancelling event without the field cancels nothing (and still runs its own function).
    append(cancels, {"kind": "cancel", "reason": "no order id"})
    append(cancels, {"kind": "cancel", "order_id": "o1"})
    for inv_id in (waiting["id"], running["id"]):
        inv = await cluster.wait(inv_id, timeout=15)
        assert (inv["status"], inv["condition"]) == ("stopped", "Cancelled"), inv
        assert inv["last_error"].startswith("cancelled by event ")
    await until(lambda: [r["data"]["n"] for r in cluster.runs("cancelled")] == ["running"])
    await until(lambda: len(cluster.runs("end")) == 2)  # the two events of the trigger, noted
    assert {r["data"].get("order_id") for r in cluster.runs("end")} == {None, "o1"}
    assert (await cluster.get(other["id"]))["status"] == "queued"
    assert (await cluster.get(keyless["id"]))["status"] == "queued"


async def test_a_retrying_invocation_is_cancelled_too(
    start_cluster: StartCluster, tmp_path: Path
) -> None:
    cancels = tmp_path / "cancels.jsonl"
    cancels.touch()
    cluster = start_cluster(FUNCTIONS, triggers(cancels))
    # `seconds: "x"` makes the attempt raise: it waits 60 s for its retry.
    failing = await cluster.invoke("fulfil", {"order_id": "o7", "seconds": "x"})
    await cluster.wait(failing["id"], {"retrying"})
    append(cancels, {"kind": "cancel", "order_id": "o7"})
    inv = await cluster.wait(failing["id"], timeout=15)
    assert (inv["status"], inv["condition"]) == ("stopped", "Cancelled")


DEBOUNCED = """\
fulfil:
  target: {type: python, handler: "flowfns:work"}
  debounce: {key: data.doc, period: 60s}
  cancel_on:
    - trigger: orders-cancelled
      match: {data.order_id: data.order_id}
note:
  target: {type: python, handler: "flowfns:work"}
"""


async def test_a_debounced_invocation_is_cancelled_by_the_fields_of_the_event_it_carries(
    start_cluster: StartCluster, tmp_path: Path
) -> None:
    cancels = tmp_path / "cancels.jsonl"
    cancels.touch()
    cluster = start_cluster(DEBOUNCED, triggers(cancels))
    first = await cluster.invoke("fulfil", {"doc": "d", "order_id": "o1"})
    last = await cluster.invoke("fulfil", {"doc": "d", "order_id": "o2"})
    assert first["id"] == last["id"]
    # The folded-away event's order is no longer what it runs: cancelling it leaves it queued.
    append(cancels, {"kind": "cancel", "order_id": "o1"})
    await until(lambda: [r["data"].get("order_id") for r in cluster.runs("end")] == ["o1"])
    assert (await cluster.get(last["id"]))["status"] == "queued"
    append(cancels, {"kind": "cancel", "order_id": "o2"})
    inv = await cluster.wait(last["id"], timeout=15)
    assert (inv["status"], inv["condition"]) == ("stopped", "Cancelled"), inv
    assert inv["event"]["data"]["order_id"] == "o2"
