"""/metrics: the families, the backlog and trigger figures read at scrape time, the hooks."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from hub import Status
from hub.hooks import Hooks
from hub.metrics import Metrics
from tests.api.conftest import TRIGGERS, Api

FAMILIES = {
    "triggerhub_backlog",
    "triggerhub_invocations_submitted",
    "triggerhub_invocations_finished",
    "triggerhub_attempt_duration_seconds",
    "triggerhub_start_latency_seconds",
    "triggerhub_invocation_duration_seconds",
    "triggerhub_trigger_lag",
    "triggerhub_trigger_errors",
    "triggerhub_trigger_events",
    "triggerhub_trigger_gaps",
    "triggerhub_trigger_state",
}


async def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with api.session.get("/metrics") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        text = await resp.text()
    families = list(text_string_to_metric_families(text))
    assert {f.name for f in families} >= FAMILIES
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


async def invoke(api: Api, function: str, **headers: str) -> str:
    async with api.session.post(
        f"/v1/functions/{function}/invocations", json={}, headers=headers
    ) as resp:
        assert resp.status == 202
        return str((await resp.json())["id"])


async def test_families_backlog_and_triggers_after_invocations(api: Api) -> None:
    for _ in range(2):
        await api.hub.wait(await invoke(api, "echo"), timeout=10)
    await invoke(api, "echo", **{"X-Triggerhub-Delay": "600"})
    samples = await scrape(api)
    assert samples[("triggerhub_backlog", (("status", "queued"),))] == 1
    assert samples[("triggerhub_backlog", (("status", "running"),))] == 0
    assert samples[("triggerhub_trigger_lag", (("trigger", "orders"),))] == 7
    assert samples[("triggerhub_trigger_errors_total", (("trigger", "orders"),))] == 3
    assert samples[("triggerhub_trigger_events_total", (("trigger", "orders"),))] == 42
    state = ("triggerhub_trigger_state", (("state", "connected"), ("trigger", "orders")))
    assert samples[state] == 1


async def test_hook_fed_counters_and_histograms(api: Api) -> None:
    assert isinstance(api.hub.hooks, Hooks)
    for _ in range(2):
        await api.hub.wait(await invoke(api, "echo"), timeout=10)
    failed = await invoke(api, "refuse-once")
    assert (await api.hub.wait(failed, timeout=10)).status is Status.FAILED
    samples = await scrape(api)
    echo = (("function", "echo"),)
    assert samples[("triggerhub_invocations_submitted_total", echo)] == 2
    finished = "triggerhub_invocations_finished_total"
    assert samples[(finished, (("function", "echo"), ("status", "succeeded")))] == 2
    assert samples[(finished, (("function", "refuse-once"), ("status", "failed")))] == 1
    assert samples[("triggerhub_attempt_duration_seconds_count", echo)] == 2
    assert samples[("triggerhub_start_latency_seconds_count", echo)] == 2
    assert samples[("triggerhub_invocation_duration_seconds_count", echo)] == 2


async def test_a_failing_hook_is_logged_and_skipped(api: Api) -> None:
    inv = await api.hub.wait(await invoke(api, "echo"), timeout=10)
    hooks, metrics = Hooks(), Metrics()

    def broken(function: str, count: int) -> None:
        raise RuntimeError("broken hook")

    hooks.on_submitted.append(broken)
    metrics.attach(hooks)
    hooks.submitted("echo", 3)
    hooks.started(inv, 0.002)
    hooks.attempted(inv, 0.01)
    hooks.finished(inv, Status.SUCCEEDED, 0.02)
    metrics.detach(hooks)
    hooks.finished(inv, Status.SUCCEEDED, 0.02)
    text = metrics.render({"queued": 4}).decode()
    assert 'triggerhub_invocations_submitted_total{function="echo"} 3.0' in text
    assert 'triggerhub_invocations_finished_total{function="echo",status="succeeded"} 1.0' in text
    assert 'triggerhub_start_latency_seconds_count{function="echo"} 1.0' in text
    assert 'triggerhub_backlog{status="queued"} 4.0' in text


def test_a_failing_trigger_status_does_not_break_the_scrape() -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("status unavailable")

    text = Metrics().render({}, broken).decode()
    assert "# TYPE triggerhub_trigger_lag gauge" in text


def test_trigger_gaps_are_a_counter_per_trigger() -> None:
    statuses = {
        "orders": {**TRIGGERS["orders"], "gaps": 4, "detail": {"position": "p-1"}},
        "ticks": {**TRIGGERS["orders"], "gaps": 0, "detail": None},
        "old": dict(TRIGGERS["orders"]),  # a status without the field has no sample
        "odd": {**TRIGGERS["orders"], "gaps": True},  # not a number
    }
    text = Metrics().render({}, lambda: statuses).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["triggerhub_trigger_gaps"].type == "counter"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for s in families["triggerhub_trigger_gaps"].samples
    }
    assert samples == {
        ("triggerhub_trigger_gaps_total", (("trigger", "orders"),)): 4,
        ("triggerhub_trigger_gaps_total", (("trigger", "ticks"),)): 0,
    }
