"""A function destination's follow-up invocation joins the trace of the invocation that led to
it, through the `traceparent` extension of the event it is queued with."""

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
