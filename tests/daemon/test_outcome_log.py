"""The daemon's log has one line per invocation outcome, whether or not the function logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.config.loader import load_text
from hub.errors import ConfigError
from tests.daemon.conftest import Api, write_config
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

QUIET_FUNCTIONS = """
import hub

async def ok(event):
    return "ok"

async def broken(event):
    raise RuntimeError("disk on fire")

async def hopeless(event):
    raise hub.NonRetryableError("bad input")

async def sink(event):
    return None
"""


def functions(dead_letter: Path) -> str:
    return f"""\
ok:
  target: {{type: python, handler: "quietfns:ok"}}
broken:
  target: {{type: python, handler: "quietfns:broken"}}
  max_retry_attempts: 1
  retry_backoff: {{initial: 50ms, max: 50ms, jitter: false}}
  on_failure: "file:{dead_letter}"
hopeless:
  target: {{type: python, handler: "quietfns:hopeless"}}
  on_failure: function:sink
sink:
  target: {{type: python, handler: "quietfns:sink"}}
"""


def start(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], outcomes: str | None = None
) -> tuple[Daemon, Path]:
    (tmp_path / "quietfns.py").write_text(QUIET_FUNCTIONS)
    port = free_port()
    config = tmp_path / "triggers.yaml"
    dead_letter = tmp_path / "dead-letter.jsonl"
    hub = "log: {format: json}\n"
    if outcomes is not None:
        hub = f"log: {{format: json, level: info, outcomes: {outcomes}}}\n"
    write_config(config, port, functions(dead_letter), hub)
    daemon = daemon_factory(config, tmp_path, api_port=port)
    daemon.start()
    return daemon, dead_letter


def outcome_lines(daemon: Daemon, invocation: str) -> list[dict[str, Any]]:
    lines = []
    for text in daemon.log().splitlines():
        if '"outcome"' in text:
            line = json.loads(text)
            if line.get("invocation") == invocation:
                lines.append(line)
    return lines


async def lines_for(daemon: Daemon, invocation: str, events: list[str]) -> list[dict[str, Any]]:
    await until(lambda: [x["event"] for x in outcome_lines(daemon, invocation)] == events)
    return outcome_lines(daemon, invocation)


async def test_every_outcome_has_a_line(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], api_session: aiohttp.ClientSession
) -> None:
    daemon, dead_letter = start(tmp_path, daemon_factory)  # the defaults
    api = Api(api_session, daemon.url)

    ok = await api.invoke("ok", {})
    [line] = await lines_for(daemon, ok["id"], ["invocation succeeded"])
    assert line["level"] == "info"
    assert (line["outcome"], line["function"], line["attempt"], line["condition"]) == (
        "succeeded",
        "ok",
        1,
        "Success",
    )
    assert 0 <= line["duration_s"] < 5 and line["age_s"] >= line["duration_s"]

    broken = await api.invoke("broken", {})
    retrying, failed, dead = await lines_for(
        daemon,
        broken["id"],
        ["invocation retrying", "invocation failed", "invocation dead-lettered"],
    )
    assert (retrying["level"], retrying["attempt"]) == ("info", 1)
    assert "disk on fire" in retrying["error"] and retrying["retry_in_s"] <= 0.05
    assert (failed["level"], failed["attempt"], failed["condition"]) == (
        "warning",
        2,
        "RetriesExhausted",
    )
    assert "disk on fire" in failed["error"] and failed["duration_s"] >= 0
    assert (dead["function"], dead["condition"], dead["destination"]) == (
        "broken",
        "RetriesExhausted",
        f"file:{dead_letter}",
    )
    assert dead_letter.read_text().count("\n") == 1  # logged once it is delivered

    hopeless = await api.invoke("hopeless", {})
    failed, dead = await lines_for(
        daemon, hopeless["id"], ["invocation failed", "invocation dead-lettered"]
    )
    assert (failed["condition"], failed["error"]) == ("NonRetryableError", "bad input")
    assert dead["destination"] == "function:sink"

    later = await api.invoke("ok", {}, **{"X-Triggerhub-Delay": "600"})
    async with api_session.post(f"{daemon.url}/v1/invocations/{later['id']}/stop") as resp:
        assert resp.status == 200
    [stopped] = await lines_for(daemon, later["id"], ["invocation stopped"])
    assert (stopped["level"], stopped["attempt"], stopped["duration_s"]) == ("info", 0, None)


@pytest.mark.parametrize(
    "outcomes", ["{success: off}", "{success: debug}", "{success: info, success_sample: 0}"]
)
async def test_success_lines_can_be_turned_off_but_failures_cannot(
    tmp_path: Path,
    daemon_factory: Callable[..., Daemon],
    api_session: aiohttp.ClientSession,
    outcomes: str,
) -> None:
    daemon, _ = start(tmp_path, daemon_factory, outcomes)
    api = Api(api_session, daemon.url)
    ok = [await api.invoke("ok", {}) for _ in range(5)]
    for created in ok:
        assert (await api.wait(created["id"]))["status"] == "succeeded"
    hopeless = await api.invoke("hopeless", {})
    # Outcome lines are written in the order invocations end: the failure's line shows the
    # successes before it were skipped, not still to come.
    await lines_for(daemon, hopeless["id"], ["invocation failed", "invocation dead-lettered"])
    assert all(outcome_lines(daemon, created["id"]) == [] for created in ok)


@pytest.mark.parametrize(
    ("outcomes", "problem"),
    [
        ("{success: loud}", "hub.log.outcomes.success"),
        ("{success_sample: 1.5}", "hub.log.outcomes.success_sample"),
        ("{sample: 0.5}", "hub.log.outcomes.sample"),
    ],
)
def test_outcome_settings_are_validated(outcomes: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_text(f"hub:\n  log:\n    outcomes: {outcomes}\n")
    assert problem in str(caught.value)


async def test_a_reload_applies_the_outcome_settings(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], api_session: aiohttp.ClientSession
) -> None:
    daemon, _ = start(tmp_path, daemon_factory, "{success: info}")
    api = Api(api_session, daemon.url)
    before = await api.invoke("ok", {})
    await lines_for(daemon, before["id"], ["invocation succeeded"])
    config = tmp_path / "triggers.yaml"
    config.write_text(config.read_text().replace("{success: info}", "{success: off}"))
    await until(lambda: '"config reloaded"' in daemon.log(), timeout=15)
    after = await api.invoke("ok", {})
    assert (await api.wait(after["id"]))["status"] == "succeeded"
    hopeless = await api.invoke("hopeless", {})
    await lines_for(daemon, hopeless["id"], ["invocation failed", "invocation dead-lettered"])
    assert outcome_lines(daemon, after["id"]) == []
