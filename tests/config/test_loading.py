from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.document import HubSection, TriggersFile
from hub.config.functions import HttpTarget
from hub.config.loader import load_config, load_text
from hub.errors import ConfigError
from hub.filters.model import AllOf, Shorthand
from hub.plugins import Registry
from tests.config.conftest import EXAMPLE
from tests.plugins.kinds import TickerConfig
from tests.plugins.memory import MemoryConfig


def test_example_loads(registry: Registry) -> None:
    doc = load_config(EXAMPLE, env={"STATE_DIR": "/srv/th"}, registry=registry)
    assert isinstance(doc, TriggersFile)
    assert doc.hub.store.url == "sqlite:////srv/th/hub.db"
    assert doc.hub.store.dedup_window == 86400.0
    assert doc.hub.api.listen == "127.0.0.1:8080"
    assert doc.hub.log.format == "json"
    assert isinstance(doc.hub, HubSection)
    resize = doc.functions["resize"]
    assert (resize.timeout, resize.retry_backoff.max, resize.concurrency) == (30.0, 300.0, 8)
    images, orders, heartbeat = (doc.triggers[n] for n in ("images", "orders", "heartbeat"))
    assert isinstance(images, MemoryConfig)
    assert images.function == ["resize"]
    assert isinstance(images.filter, AllOf)
    assert isinstance(orders, MemoryConfig)
    assert orders.function == ["resize", "notify"]
    assert orders.batch_size == 100
    assert isinstance(orders.filter, Shorthand)
    assert isinstance(heartbeat, TickerConfig)
    assert (heartbeat.every, heartbeat.enabled) == (300.0, False)


def test_defaults_when_sections_are_absent(registry: Registry) -> None:
    doc = load_text("functions: {}\n", env={}, registry=registry)
    assert doc.triggers == {}
    assert doc.hub.api.token_env == "TRIGGERHUB_API_TOKEN"
    assert doc.hub.api.max_body_bytes == 1048576
    assert (doc.hub.log.format, doc.hub.log.level) == ("auto", "info")


def test_interpolation(registry: Registry) -> None:
    doc = load_text(
        "functions:\n"
        "  f:\n"
        "    target: {type: http, url: '${BASE}/hook?q=$${literal}', headers: {X: '${EMPTY:-d}'}}\n"
        "    concurrency: ${CONCURRENCY:-4}\n"
        "    timeout: ${TIMEOUT}\n",
        env={"BASE": "https://fn.example.com", "EMPTY": "", "TIMEOUT": "90s"},
        registry=registry,
    )
    target = doc.functions["f"].target
    assert isinstance(target, HttpTarget)
    assert target.url == "https://fn.example.com/hook?q=${literal}"
    assert target.headers == {"X": "d"}
    assert doc.functions["f"].concurrency == 4
    assert doc.functions["f"].timeout == 90.0


def test_interpolation_reads_the_process_environment(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TH_TEST_EXECUTORS", "7")
    doc = load_text("hub: {executors: '${TH_TEST_EXECUTORS}'}\n", registry=registry)
    assert doc.hub.executors == 7


def test_every_unset_variable_is_reported(registry: Registry) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(
            "hub:\n  executors: ${A}\n  queue_size: ${B}\n", "c.yaml", env={}, registry=registry
        )
    assert str(caught.value).splitlines() == [
        "c.yaml:2:14: hub.executors: environment variable A is not set (or write ${A:-default})",
        "c.yaml:3:15: hub.queue_size: environment variable B is not set (or write ${B:-default})",
    ]


def test_anchors_and_merge_keys(registry: Registry) -> None:
    doc = load_text(
        "x-base: &base {timeout: 5s, target: {type: python, handler: 'a:b'}}\n"
        "functions:\n  one: {<<: *base, concurrency: 2}\n  two: *base\n",
        env={},
        registry=registry,
    )
    assert doc.functions["one"].timeout == doc.functions["two"].timeout == 5.0


def test_an_error_in_a_merged_key_points_at_the_mapping(registry: Registry) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(
            "x-base: &base {timeout: 0}\nfunctions:\n"
            "  one:\n    <<: *base\n    target: {type: python, handler: 'a:b'}\n",
            "c.yaml",
            env={},
            registry=registry,
        )
    assert str(caught.value) == "c.yaml:3:3: functions.one.timeout: must be greater than 0; got 0"


def test_a_bare_date_is_read_as_text(registry: Registry) -> None:
    doc = load_text(
        "triggers:\n  t: {type: memory, channel: 2024-01-31, function: f}\n"
        "functions:\n  f: {target: {type: python, handler: 'a:b'}}\n",
        env={},
        registry=registry,
    )
    trigger = doc.triggers["t"]
    assert isinstance(trigger, MemoryConfig)
    assert trigger.channel == "2024-01-31"


def test_the_default_registry_is_used_when_none_is_given(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("functions:\n  f: {target: {type: python, handler: 'a:b'}}\n")
    assert list(load_config(path, env={}).functions) == ["f"]
