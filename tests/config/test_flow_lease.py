"""Flow-control settings on the leasing side: valid ones load, bad ones fail at load with
file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.flow_lease import KeyConcurrency, LeaseFlow
from hub.config.functions import FunctionConfig
from hub.config.loader import load_config
from hub.errors import ConfigError
from hub.events import Event
from hub.flow.columns import FlowColumns
from hub.plugins import Registry
from hub.submission import new_invocations

F = "functions:\n  f:\n    target: {type: python, handler: 'a:b'}\n"


def load(tmp_path: Path, registry: Registry, text: str) -> str:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, registry=registry)
    return str(caught.value).replace(f"{tmp_path}/", "")


def test_the_readme_spellings_load(tmp_path: Path, registry: Registry) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(
        F + "    key_concurrency: {key: data.tenant, limit: 2}\n"
        "    rate_limit: {limit: 100, period: 1m, burst: 10, key: data.customer}\n"
        "    priority: 3\n"
        "triggers:\n  t:\n    type: memory\n    channel: c\n    function: f\n    priority: 9\n"
    )
    config = load_config(path, env={}, registry=registry)
    f = config.functions["f"]
    assert f.key_concurrency is not None and f.key_concurrency.limit == 2
    assert f.rate_limit is not None and f.rate_limit.period == 60.0
    assert f.rate_limit.interval == pytest.approx(0.6)
    assert f.priority == 3 and config.triggers["t"].priority == 9


@pytest.mark.parametrize(
    ("setting", "where"),
    [
        (
            "priority: 10",
            "cfg.yaml:4:15: functions.f.priority: must be at most 9; got 10",
        ),
        (
            "priority: -1",
            "cfg.yaml:4:15: functions.f.priority: must be at least 0; got -1",
        ),
        (
            "key_concurrency: {key: data.tenant, limit: 0}",
            "cfg.yaml:4:48: functions.f.key_concurrency.limit",
        ),
        (
            "key_concurrency: {limit: 2}",
            "cfg.yaml:4:5: functions.f.key_concurrency.key: missing required key 'key'",
        ),
        (
            "key_concurrency: {key: 'data..x', limit: 2}",
            "cfg.yaml:4:28: functions.f.key_concurrency.key",
        ),
        ("rate_limit: {limit: 10, period: soon}", "cfg.yaml:4:37: functions.f.rate_limit.period"),
        ("rate_limit: {limit: 0, period: 1s}", "cfg.yaml:4:25: functions.f.rate_limit.limit"),
        (
            "rate_limit: {limit: 5, period: 1s, burst: 6}",
            "cfg.yaml:4:5: functions.f.rate_limit: burst (6) must not exceed limit (5)",
        ),
        (
            "rate_limit: {limit: 5, period: 1s, brust: 2}",
            "cfg.yaml:4:40: functions.f.rate_limit.brust: unknown key",
        ),
    ],
)
def test_a_bad_setting_is_located(
    setting: str, where: str, tmp_path: Path, registry: Registry
) -> None:
    message = load(tmp_path, registry, F + f"    {setting}\n")
    assert message.startswith(where), message


def test_a_trigger_overrides_its_functions_settings_for_its_events() -> None:
    function = FunctionConfig.model_validate(
        {
            "target": {"type": "python", "handler": "a:b"},
            "key_concurrency": {"key": "data.tenant", "limit": 2},
            "rate_limit": {"limit": 10, "period": "1s", "key": "subject"},
            "priority": 1,
        }
    )
    trigger = LeaseFlow(priority=7, key_concurrency=KeyConcurrency(key="data.region", limit=5))
    event = Event(type="t", source="s", subject="sub", data={"tenant": "acme", "region": 3})
    [own, overridden] = [
        new_invocations([("f", [event])], {"f": function}, now=0.0, start=0.0, flow=flow)[0].flow
        for flow in (None, trigger)
    ]
    assert own == FlowColumns(1, "acme", 2, "sub", 0.1, 1)
    assert overridden == FlowColumns(7, "3", 5, "sub", 0.1, 1)  # a number keys by its JSON


def test_no_setting_means_the_plain_path_and_a_missing_key_is_empty() -> None:
    plain = FunctionConfig.model_validate({"target": {"type": "python", "handler": "a:b"}})
    event = Event(type="t", source="s", data={})
    [inv] = new_invocations([("f", [event])], {"f": plain}, now=0.0, start=0.0)
    assert inv.flow is None
    keyed = plain.model_copy(update={"key_concurrency": KeyConcurrency(key="data.x", limit=1)})
    [inv] = new_invocations([("f", [event])], {"f": keyed}, now=0.0, start=0.0)
    assert inv.flow is not None and inv.flow.concurrency_key == ""
