"""A redrive queues an invocation again as a new submit would: it is held to its function's
singleton (skip: recorded as skipped with the id it yielded to; cancel: it replaces the
active holder), by one redrive and by the bulk redrive, on SQLite and on two daemons sharing
PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.flow.conftest import Cluster, StartCluster
from tests.waiting import until

SKIP = """\
job:
  target: {type: python, handler: "flowfns:work"}
  singleton: {key: data.job, mode: skip}
"""
CANCEL = SKIP.replace("mode: skip", "mode: cancel")


async def post(cluster: Cluster, path: str, body: Any = None) -> tuple[int, Any]:
    async with cluster.session.post(f"{cluster.url()}{path}", json=body) as resp:
        return resp.status, await resp.json()


async def stopped_one(cluster: Cluster, data: dict[str, Any]) -> str:
    """An invocation of key `data["job"]`, deferred then stopped: final, so redrivable."""
    inv = await cluster.invoke("job", data, **{"X-Triggerhub-Delay": "600"})
    status, body = await post(cluster, f"/v1/invocations/{inv['id']}/stop")
    assert status == 200, body
    await cluster.wait(inv["id"])
    return str(inv["id"])


async def test_a_redrive_yields_to_the_active_holder_in_skip_mode(
    start_cluster: StartCluster,
) -> None:
    cluster = start_cluster(SKIP)
    old = await stopped_one(cluster, {"job": "a", "n": "old"})
    holder = await cluster.invoke("job", {"job": "a", "n": "holder", "seconds": 30})
    await cluster.wait(holder["id"], {"running"})

    status, redriven = await post(cluster, f"/v1/invocations/{old}/redrive")
    assert status == 200, redriven
    assert (redriven["status"], redriven["condition"]) == ("stopped", "Skipped")
    assert redriven["last_error"] == f"singleton: yielded to {holder['id']}"
    # Listed as stopped, as a stop is.
    listing = f"{cluster.url()}/v1/invocations?function=job&status=stopped"
    async with cluster.session.get(listing) as resp:
        assert [inv["id"] for inv in (await resp.json())["items"]] == [old]
    # The bulk redrive too: it matches the skipped one and leaves it skipped.
    flt = {"function": "job", "status": ["stopped"]}
    status, counts = await post(cluster, "/v1/invocations/redrive", flt)
    assert status == 200 and counts == {"matched": 1, "changed": 0}, counts
    assert (await cluster.get(old))["condition"] == "Skipped"
    assert (await cluster.get(holder["id"]))["status"] == "running"
    assert [r["data"]["n"] for r in cluster.runs()] == ["holder"]

    # Once the holder is final, the key is free and the redrive runs.
    await post(cluster, f"/v1/invocations/{holder['id']}/stop")
    await cluster.wait(holder["id"])
    status, counts = await post(cluster, "/v1/invocations/redrive", {**flt, "ids": [old]})
    assert status == 200, counts
    assert (await cluster.wait(old))["status"] == "succeeded"
    await until(lambda: [r["data"]["n"] for r in cluster.runs("end")] == ["old"])


async def test_a_redrive_replaces_the_active_holder_in_cancel_mode(
    start_cluster: StartCluster,
) -> None:
    cluster = start_cluster(CANCEL)
    first = await stopped_one(cluster, {"job": "a", "n": 1})
    second = await stopped_one(cluster, {"job": "a", "n": 2})
    holder = await cluster.invoke("job", {"job": "a", "n": "holder", "seconds": 30})
    await cluster.wait(holder["id"], {"running"})

    # Both stopped ones redriven at once: each replaces the one before, one is left.
    flt = {"function": "job", "status": ["stopped"], "ids": [first, second]}
    status, counts = await post(cluster, "/v1/invocations/redrive", flt)
    assert status == 200 and counts == {"matched": 2, "changed": 2}, counts
    replaced = await cluster.wait(holder["id"])
    assert (replaced["status"], replaced["condition"]) == ("stopped", "Cancelled")
    await until(lambda: "holder" in [r["data"]["n"] for r in cluster.runs("cancelled")])
    finals = {inv_id: await cluster.wait(inv_id) for inv_id in (first, second)}
    ran = [i for i, inv in finals.items() if inv["status"] == "succeeded"]
    cancelled = [i for i, inv in finals.items() if inv["condition"] == "Cancelled"]
    assert len(ran) == 1 and len(cancelled) == 1, finals
    assert replaced["last_error"] in {f"singleton: replaced by {i}" for i in (first, second)}
    assert finals[cancelled[0]]["last_error"] == f"singleton: replaced by {ran[0]}"


async def test_a_bulk_redrive_keeps_the_original_order_in_skip_mode(
    start_cluster: StartCluster,
) -> None:
    """Redriven oldest first, as they were first submitted: the oldest holds the key."""
    cluster = start_cluster(SKIP)
    first = await stopped_one(cluster, {"job": "a", "n": 1, "seconds": 30})
    second = await stopped_one(cluster, {"job": "a", "n": 2})

    flt = {"function": "job", "status": ["stopped"]}
    status, counts = await post(cluster, "/v1/invocations/redrive", flt)
    assert status == 200 and counts == {"matched": 2, "changed": 1}, counts
    skipped = await cluster.get(second)
    assert (skipped["status"], skipped["condition"]) == ("stopped", "Skipped"), skipped
    assert skipped["last_error"] == f"singleton: yielded to {first}"
    await cluster.wait(first, {"running"})
    await post(cluster, f"/v1/invocations/{first}/stop")
    await cluster.wait(first)


async def test_a_bulk_redrive_keeps_the_original_order_in_cancel_mode(
    start_cluster: StartCluster,
) -> None:
    """Redriven oldest first: the newest replaces the older one and is the one that runs."""
    cluster = start_cluster(CANCEL)
    first = await stopped_one(cluster, {"job": "a", "n": 1})
    second = await stopped_one(cluster, {"job": "a", "n": 2})

    flt = {"function": "job", "status": ["stopped"]}
    status, counts = await post(cluster, "/v1/invocations/redrive", flt)
    assert status == 200 and counts == {"matched": 2, "changed": 2}, counts
    assert (await cluster.wait(second))["status"] == "succeeded"
    replaced = await cluster.wait(first)
    assert (replaced["status"], replaced["condition"]) == ("stopped", "Cancelled"), replaced
    assert replaced["last_error"] == f"singleton: replaced by {second}"
