"""`singleton: {key, mode}`: at most one invocation per key queued or running, across daemons."""

from __future__ import annotations

import asyncio

from tests.flow.conftest import StartCluster
from tests.waiting import until

SKIP = """\
job:
  target: {type: python, handler: "flowfns:work"}
  singleton: {key: data.job, mode: skip}
"""
CANCEL = """\
job:
  target: {type: python, handler: "flowfns:work"}
  singleton: {key: data.job, mode: cancel}
"""


async def test_skip_keeps_one_per_key_and_records_the_rest(start_cluster: StartCluster) -> None:
    cluster = start_cluster(SKIP)
    # Submitted at once, alternating daemons: only one of the eight may hold key "a".
    answers = await asyncio.gather(
        *(cluster.invoke("job", {"job": "a", "n": n, "seconds": 1.5}) for n in range(8))
    )
    other = await cluster.invoke("job", {"job": "b"})
    keyless = await cluster.invoke("job", {"n": "no job field"})
    finals = [await cluster.wait(a["id"]) for a in answers]
    ran = [inv for inv in finals if inv["status"] == "succeeded"]
    skipped = [inv for inv in finals if inv["condition"] == "Skipped"]
    assert len(ran) == 1 and len(skipped) == 7, [(i["status"], i["condition"]) for i in finals]
    winner = ran[0]["id"]
    for inv in skipped:
        assert inv["status"] == "stopped"
        assert inv["last_error"] == f"singleton: yielded to {winner}"
        assert inv["started_at"] is None

    # Each skip is logged as an outcome, as a stop is.
    def skips_logged() -> int:
        lines = [line for d in cluster.daemons for line in d.log().splitlines()]
        return sum("invocation stopped" in line and "Skipped" in line for line in lines)

    await until(lambda: skips_logged() == 7)
    # Other keys, and an event without the key field, are not held back by "a".
    assert (await cluster.wait(other["id"]))["status"] == "succeeded"
    assert (await cluster.wait(keyless["id"]))["status"] == "succeeded"
    assert sorted(str(r["data"].get("job")) for r in cluster.runs()) == ["None", "a", "b"]
    # Once the holder is final the key is free again.
    again = await cluster.invoke("job", {"job": "a", "n": "again"})
    assert (await cluster.wait(again["id"]))["status"] == "succeeded"
    assert [r["data"]["n"] for r in cluster.runs() if r["data"].get("job") == "a"][-1] == "again"


async def test_cancel_stops_the_holder_and_queues_the_newcomer(
    start_cluster: StartCluster,
) -> None:
    cluster = start_cluster(CANCEL)
    first = await cluster.invoke("job", {"job": "a", "n": 1, "seconds": 30})
    await cluster.wait(first["id"], {"running"})
    await until(lambda: len(cluster.runs()) == 1)
    # Submitted to the daemon that does not run the first, when there are two.
    elsewhere = cluster.elsewhere(cluster.runs()[0]["pid"])
    deferred = {"X-Triggerhub-Delay": "60"}
    second = await cluster.invoke("job", {"job": "a", "n": 2}, elsewhere, **deferred)
    old = await cluster.wait(first["id"], timeout=10)
    assert (old["status"], old["condition"]) == ("stopped", "Cancelled")
    # Its attempt is cancelled, by whichever daemon runs it.
    await until(lambda: [r["data"]["n"] for r in cluster.runs("cancelled")] == [1])
    assert old["last_error"] == f"singleton: replaced by {second['id']}"
    # A third replaces the deferred second in turn, and runs.
    third = await cluster.invoke("job", {"job": "a", "n": 3})
    assert (await cluster.wait(second["id"]))["condition"] == "Cancelled"
    assert (await cluster.wait(third["id"]))["status"] == "succeeded"
    await until(lambda: [r["data"]["n"] for r in cluster.runs("end")] == [3])
