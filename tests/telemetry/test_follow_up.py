"""Destinations join the invocation's trace: a function destination's follow-up invocation
through the `traceparent` extension of the event it is queued with, a record made without an
attempt through the event it carries."""

from __future__ import annotations

from pathlib import Path

from hub import Event
from hub.config.functions import FunctionConfig
from hub.status import Status
from hub.store.base import ListQuery
from hub.telemetry import TelemetrySettings
from tests.support import hub_factory
from tests.telemetry.collector import Collector
from tests.waiting import until


def fn(**fields: object) -> FunctionConfig:
    target = {"type": "command", "argv": ["cat"]}
    return FunctionConfig.model_validate({"target": target, **fields})


async def test_the_follow_up_of_a_function_destination_is_in_the_same_trace(
    tmp_path: Path, collector: Collector
) -> None:
    funcs = {"first": fn(on_success="function:second"), "second": fn()}
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    async with hub_factory(tmp_path, funcs)(telemetry=telemetry) as hub:
        [sub] = await hub.submit("first", [Event(type="t", source="/test", data={"n": 1})])
        await hub.wait(sub.id, timeout=30)

        async def second_succeeded() -> bool:
            page = await hub.query(ListQuery(function="second", status=Status.SUCCEEDED))
            return len(page.items) == 1

        await until(second_succeeded, timeout=30)
    await until(lambda: len(collector.named("process second")) == 1, timeout=10)
    [first] = collector.named("process first")
    [second] = collector.named("process second")
    assert (second.trace_id, second.parent_span_id) == (first.trace_id, first.span_id)


async def test_the_record_of_an_invocation_stopped_before_any_attempt_joins_its_trace(
    tmp_path: Path, collector: Collector
) -> None:
    dead = tmp_path / "dead.jsonl"
    funcs = {"first": fn(on_failure=f"file:{dead}")}
    telemetry = TelemetrySettings(otlp_endpoint=collector.endpoint)
    async with hub_factory(tmp_path, funcs)(telemetry=telemetry) as hub:
        event = Event(type="t", source="/test", data={"n": 1})
        [sub] = await hub.submit("first", [event], delay=3600)
        await hub.stop(sub.id)
        await until(lambda: dead.exists() and dead.read_bytes().endswith(b"\n"), timeout=30)
    await until(lambda: len(collector.named("send file")) == 1, timeout=10)
    [receive] = collector.named("receive")
    [send] = collector.named("send file")
    assert (send.trace_id, send.parent_span_id) == (receive.trace_id, receive.span_id)
    assert send.attributes["triggerhub.destination.slot"] == "on_failure"
