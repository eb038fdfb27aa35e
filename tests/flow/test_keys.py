"""One rule reads every flow-control key, on the lease side (key_concurrency, rate_limit) and
at intake (debounce, batching, singleton, cancel_on): a string as it is, anything else as its
sorted JSON, missing / null / "" no key. Checked on the rule, on both planners, and through
daemons."""

from __future__ import annotations

from typing import Any

import pytest

from hub.config.flow_lease import LeaseFlow
from hub.config.functions import FunctionConfig
from hub.events import Event, WireEvent
from hub.flow.columns import plan_for
from hub.flow.fields import MAX_KEY_LENGTH, key_of
from hub.flow.plan import NO_KEY, plan_of
from tests.flow.conftest import StartCluster
from tests.waiting import until

SAME = [
    ({"t": 1}, {"t": "1"}),
    ({"t": {"a": 1, "b": [1, 2]}}, {"t": {"b": [1, 2], "a": 1}}),
    ({"t": True}, {"t": "true"}),
]
NO_KEY_DATA: list[dict[str, Any]] = [{}, {"t": None}, {"t": ""}, {"other": 1}]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_values_that_are_one_key(one: dict[str, Any], other: dict[str, Any]) -> None:
    assert key_of({"data": one}, "data.t") == key_of({"data": other}, "data.t") is not None


@pytest.mark.parametrize("data", NO_KEY_DATA)
def test_missing_null_and_empty_are_no_key(data: dict[str, Any]) -> None:
    assert key_of({"data": data}, "data.t") is None


def test_paths_reach_attributes_extensions_nested_fields_and_list_elements() -> None:
    event = Event(type="t", source="s", subject="sub", extensions={"tenantid": 7})
    event.data = {"a": {"b": "deep"}, "items": [{"id": "x"}]}
    attrs = event.to_dict()
    assert key_of(attrs, "subject") == "sub"
    assert key_of(attrs, "tenantid") == "7"
    assert key_of(attrs, "data.a.b") == "deep"
    assert key_of(attrs, "data.items.0.id") == "x"
    assert key_of(attrs, "data.items.1.id") is None
    assert key_of(attrs, "data.a.b.c") is None


def test_long_keys_are_bounded_and_never_merge() -> None:
    one, other = "x" * 1000 + "1", "x" * 1000 + "2"
    a, b = key_of({"k": one}, "k"), key_of({"k": other}, "k")
    assert a is not None and b is not None
    assert len(a) == len(b) == MAX_KEY_LENGTH and a != b


def _function(**settings: Any) -> FunctionConfig:
    return FunctionConfig.model_validate(
        {"target": {"type": "http", "url": "http://127.0.0.1:9/"}, **settings}
    )


def _lease_key(event: Event) -> str | None:
    lease = plan_for(
        LeaseFlow.model_validate({"key_concurrency": {"key": "data.t", "limit": 1}}), None
    )
    assert lease is not None
    return lease.columns(event).concurrency_key


def _intake_keys(event: Event) -> tuple[str | None, str | None]:
    singleton = plan_of(_function(singleton={"key": "data.t"}), WireEvent.of(event)).singleton
    batch = plan_of(_function(batching={"key": "data.t"}), event).batch
    assert batch is not None
    return (None if singleton is None else singleton.key), batch.key


@pytest.mark.parametrize(("one", "other"), SAME)
def test_both_sides_group_the_same_events(one: dict[str, Any], other: dict[str, Any]) -> None:
    first, second = Event(type="t", source="s", data=one), Event(type="t", source="s", data=other)
    assert _lease_key(first) == _lease_key(second) != ""
    assert _intake_keys(first) == _intake_keys(second)
    assert _intake_keys(first)[0] is not None
    # And a different value is a different key on both sides.
    third = Event(type="t", source="s", data={"t": "something else"})
    assert _lease_key(third) != _lease_key(first)
    assert _intake_keys(third) != _intake_keys(first)


@pytest.mark.parametrize("data", NO_KEY_DATA)
def test_both_sides_agree_on_no_key(data: dict[str, Any]) -> None:
    event = Event(type="t", source="s", data=data)
    assert _lease_key(event) == ""  # one limit shared by the events without a key
    assert _intake_keys(event) == (None, NO_KEY)  # not held to a singleton; one batch
    # A string that reads like a sentinel is an ordinary key, not "no key".
    for text in ("-", "*"):
        sentinel = Event(type="t", source="s", data={"t": text})
        assert _intake_keys(sentinel) == (f"={text}", f"={text}")


FUNCTIONS = """\
one-at-a-time:
  target: {type: python, handler: "flowfns:work"}
  key_concurrency: {key: data.t, limit: 1}
one-active:
  target: {type: python, handler: "flowfns:work"}
  singleton: {key: data.t, mode: skip}
"""


async def test_one_key_rule_through_the_daemons(start_cluster: StartCluster) -> None:
    cluster = start_cluster(FUNCTIONS)
    # Lease side: 1 and "1", and one object with its keys in either order, run one at a time.
    pairs = [({"t": 1}, {"t": "1"}), ({"t": {"a": 1, "b": 2}}, {"t": {"b": 2, "a": 1}})]
    sent = []
    for n, (one, other) in enumerate(pairs):
        for m, data in enumerate((one, other)):
            sent.append(
                await cluster.invoke("one-at-a-time", {**data, "n": f"{n}{m}", "seconds": 0.6})
            )
    for inv in sent:
        assert (await cluster.wait(inv["id"]))["status"] == "succeeded"
    spans: dict[str, list[float]] = {}
    for phase in ("start", "end"):
        for run in cluster.runs(phase):
            spans.setdefault(run["data"]["n"], []).append(run["at"])
    for n in range(len(pairs)):
        (s1, e1), (s2, e2) = spans[f"{n}0"], spans[f"{n}1"]
        assert e1 <= s2 or e2 <= s1, f"pair {n} overlapped: {spans}"

    # Intake side: the same pairs are one singleton key; events without a key are not held.
    for one, other in pairs:
        holder = await cluster.invoke("one-active", {**one, "seconds": 30})
        await cluster.wait(holder["id"], {"running"})
        skipped = await cluster.wait((await cluster.invoke("one-active", other))["id"])
        assert (skipped["status"], skipped["condition"]) == ("stopped", "Skipped"), skipped
        assert skipped["last_error"] == f"singleton: yielded to {holder['id']}"
    free = [await cluster.invoke("one-active", data) for data in NO_KEY_DATA]
    for inv in free:
        assert (await cluster.wait(inv["id"]))["status"] == "succeeded"
    await until(lambda: len(cluster.runs("end")) == len(sent) + len(NO_KEY_DATA))


@pytest.mark.parametrize(
    "path", ["data.tenant", "data.a-b.$c", "subject", "1ext", "kafkaheaders.k"]
)
def test_every_setting_takes_the_same_paths(path: str) -> None:
    lease = LeaseFlow.model_validate({"rate_limit": {"limit": 1, "period": 1, "key": path}})
    assert lease.rate_limit is not None and lease.rate_limit.key == path
    assert _function(debounce={"key": path, "period": 1}).debounce is not None
