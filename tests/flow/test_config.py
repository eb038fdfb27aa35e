"""Flow settings in the triggers file: located errors for bad ones, and what GET /v1/functions
shows of good ones."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

HEAD = """\
hub: {store: {url: "sqlite:///hub.db"}}
functions:
  fulfil:
    target: {type: http, url: "http://127.0.0.1:9/"}
"""
TRIGGERS = """\
triggers:
  orders-cancelled: {type: timer, function: fulfil, schedule: "rate(1 hour)"}
"""


def problems(settings: str, triggers: str = TRIGGERS) -> str:
    text = HEAD + textwrap.indent(textwrap.dedent(settings), "    ") + triggers
    with pytest.raises(ConfigError) as caught:
        load_text(text, "flow.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("settings", "expected", "triggers"),
    [
        (
            "debounce: {key: data.doc, period: 5s, max_wait: 1s}\n",
            "flow.yaml:5:5: functions.fulfil.debounce: debounce.max_wait must not be smaller "
            "than debounce.period",
            TRIGGERS,
        ),
        (
            "debounce: {key: data.doc}\n",
            "flow.yaml:5:5: functions.fulfil.debounce.period: missing required key 'period'",
            TRIGGERS,
        ),
        (
            "debounce: {key: 'data..doc', period: 1s}\n",
            "flow.yaml:5:21: functions.fulfil.debounce.key: invalid value 'data..doc'",
            TRIGGERS,
        ),
        (
            "singleton: {key: data.job, mode: queue}\n",
            "flow.yaml:5:38: functions.fulfil.singleton.mode: expected 'skip' or 'cancel'; "
            "got 'queue'",
            TRIGGERS,
        ),
        (
            "singleton: {key: data.job}\ndebounce: {period: 1s}\n",
            "flow.yaml:3:3: functions.fulfil: give only one of debounce, batching and singleton "
            "(found debounce and singleton)",
            TRIGGERS,
        ),
        (
            "cancel_on: [{trigger: orders-canceled, match: {data.id: data.id}}]\n",
            "flow.yaml:5:27: functions.fulfil.cancel_on[0].trigger: cancel_on names trigger "
            "'orders-canceled', which is not configured; configured triggers: orders-cancelled",
            TRIGGERS,
        ),
        (
            "debounce: {period: 1s}\n",
            "flow.yaml:7:3: triggers.orders-cancelled: give only one of debounce, batching and "
            "singleton (found debounce and singleton)",
            "triggers:\n  orders-cancelled: {type: timer, function: fulfil, "
            "schedule: 'rate(1 hour)', singleton: {key: data.x}, debounce: {period: 1s}}\n",
        ),
        (
            "cancel_on: [{trigger: orders-cancelled, match: {}}]\n",
            "flow.yaml:5:45: functions.fulfil.cancel_on[0].match: must have at least 1 item",
            TRIGGERS,
        ),
    ],
)
def test_a_bad_setting_is_named_where_it_is_written(
    settings: str, expected: str, triggers: str
) -> None:
    assert expected in problems(settings, triggers)


def test_good_settings_load() -> None:
    text = HEAD + textwrap.indent(
        "debounce: {key: data.doc, period: 250ms, max_wait: 1m}\n"
        "cancel_on: [{trigger: orders-cancelled, match: {data.order_id: data.id}}]\n",
        "    ",
    )
    config = load_text(text + TRIGGERS).functions["fulfil"]
    assert config.debounce is not None and config.debounce.max_wait == 60.0
    assert config.cancel_on[0].match == {"data.order_id": "data.id"}


async def test_the_daemon_refuses_a_cancel_on_naming_no_trigger_and_shows_good_settings(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    port = free_port()
    config = tmp_path / "triggers.yaml"
    body = (
        f'hub: {{store: {{url: "sqlite:///{tmp_path}/hub.db"}}, '
        f'api: {{listen: "127.0.0.1:{port}"}}}}\n'
        "functions:\n  fulfil:\n    target: {type: http, url: 'http://127.0.0.1:9/'}\n"
        "    singleton: {key: data.job, mode: cancel}\n"
        "    cancel_on: [{trigger: %s, match: {data.order_id: data.order_id}}]\n" + TRIGGERS
    )
    config.write_text(body % "nowhere")
    daemon = daemon_factory(config, tmp_path, api_port=port)
    code, stderr = daemon.refused()
    assert code != 0
    assert "functions.fulfil.cancel_on[0].trigger: cancel_on names trigger 'nowhere'" in stderr
    config.write_text(body % "orders-cancelled")
    daemon.start()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{daemon.url}/v1/functions") as resp,
    ):
        [shown] = (await resp.json())["items"]
    assert shown["singleton"] == {"key": "data.job", "mode": "cancel"}
    assert shown["debounce"] is None
    assert shown["cancel_on"] == [
        {"trigger": "orders-cancelled", "match": {"data.order_id": "data.order_id"}}
    ]
    assert daemon.terminate() == 0
