"""The `triggerhub` command as an operator types it, against a real daemon."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from hub.client import ApiError, Client
from tests.daemon.conftest import FUNCTIONS, Api, MakeDaemon, write_config
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

RECORD = """\
record:
  target: {type: python, handler: "testfns:record"}
"""
EVERY_SECOND = """\
tick:
  type: timer
  function: record
  schedule: "* * * * * *"
"""


async def triggerhub(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_version_names_the_installed_release() -> None:
    from importlib.metadata import version

    code, out, err = await triggerhub("--version")
    assert code == 0, err
    assert out.strip() == f"triggerhub {version('triggerhub')}"


async def test_api_options_work_before_and_after_the_command(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], api_session: aiohttp.ClientSession
) -> None:
    (tmp_path / "testfns.py").write_text(FUNCTIONS)
    port = free_port()
    config = tmp_path / "triggers.yaml"
    write_config(config, port, RECORD)
    daemon = daemon_factory(
        config, tmp_path, api_port=port, env={"RECORD_FILE": str(tmp_path / "record.txt")}
    )
    daemon.start()
    api = Api(api_session, daemon.url)
    created = await api.invoke("record", {"n": 1})
    await api.wait(created["id"])

    for args in (
        ("--url", daemon.url, "invocations", "list"),
        ("invocations", "list", "--url", daemon.url),
        ("--url", daemon.url, "--json", "invocations", "show", created["id"]),
        ("-c", str(config), "invocations", "list"),
    ):
        code, out, err = await triggerhub(*args)
        assert code == 0, (args, err)
        assert created["id"] in out, (args, out)
    # Given before the command and not after it, the value is not reset by the command's
    # own default: this URL is unreachable, so the command must fail naming it.
    code, _, err = await triggerhub("--url", "http://127.0.0.1:9", "invocations", "list")
    assert code == 1 and "http://127.0.0.1:9" in err


async def test_triggers_list_shows_lag_rounded_with_its_unit(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], api_session: aiohttp.ClientSession
) -> None:
    (tmp_path / "testfns.py").write_text(FUNCTIONS)
    port = free_port()
    config = tmp_path / "triggers.yaml"
    write_config(config, port, RECORD)
    config.write_text(config.read_text().replace("triggers: {}\n", "triggers:\n"))
    with config.open("a") as f:
        f.write("  " + EVERY_SECOND.replace("\n", "\n  ").rstrip() + "\n")
    daemon = daemon_factory(
        config, tmp_path, api_port=port, env={"RECORD_FILE": str(tmp_path / "record.txt")}
    )
    daemon.start()

    async def ticked() -> bool:
        async with api_session.get(f"{daemon.url}/v1/triggers") as resp:
            body = await resp.json()
        tick = body.get("triggers", body)["tick"]
        return tick["lag"] is not None and tick["lag_unit"] == "seconds"

    await until(ticked, timeout=15)
    code, out, err = await triggerhub("--url", daemon.url, "triggers", "list")
    assert code == 0, err
    header, *rows = out.splitlines()
    [row] = [line for line in rows if line.startswith("tick ")]
    lag = dict(zip(re.split(r"\s{2,}", header), re.split(r"\s{2,}", row), strict=True))["LAG"]
    assert re.fullmatch(r"\d+\.\d{3} s", lag), out


def _events(count: int, bad: int | None = None) -> str:
    lines = []
    for n in range(1, count + 1):
        event = {"specversion": "1.0", "id": f"b-{n}", "source": "/cli", "type": "t", "data": n}
        if n == bad:
            del event["type"]
        lines.append(json.dumps(event))
    return "\n".join(lines) + "\n"


async def test_invoke_batch_queues_a_file_a_commit_per_thousand_events(
    make_daemon: MakeDaemon, tmp_path: Path
) -> None:
    daemon, _, _ = make_daemon(RECORD)
    daemon.start()
    batch = tmp_path / "events.jsonl"
    batch.write_text(_events(1500))
    code, out, err = await triggerhub(
        "--url", daemon.url, "--json", "invoke", "record", "--batch", str(batch)
    )
    assert code == 0, err
    answer = json.loads(out)
    assert answer["queued"] == 1500
    assert [item["event_id"] for item in answer["items"]] == [f"b-{n}" for n in range(1, 1501)]
    # Two requests, two commits: the first thousand share one instant, the rest another.
    client = Client(daemon.url, None)
    first, last = (
        client.request("GET", f"/v1/invocations/{answer['items'][i]['id']}") for i in (0, 1499)
    )
    assert first["created_at"] != last["created_at"]
    record = tmp_path / "record.txt"
    await until(lambda: record.exists() and len(record.read_text().split()) == 1500, timeout=60)
    assert sorted(record.read_text().split()) == sorted(f"b-{n}" for n in range(1, 1501))


async def test_invoke_batch_stops_at_a_refused_request_and_names_the_invalid_event(
    make_daemon: MakeDaemon, tmp_path: Path
) -> None:
    daemon, _, _ = make_daemon(RECORD)
    daemon.start()
    batch = tmp_path / "events.jsonl"
    batch.write_text(_events(1200, bad=1100))
    code, _, err = await triggerhub("--url", daemon.url, "invoke", "record", "--batch", str(batch))
    assert code == 1
    assert "events 1001-1200 of 1200 were refused" in err and "(1000 before them were)" in err
    assert "event 1100 (id 'b-1100')" in err and "type" in err
    page = Client(daemon.url, None).request("GET", "/v1/invocations?limit=1000&function=record")
    assert len(page["items"]) == 1000 and page["next_cursor"] is None


async def test_the_python_client_submits_many_in_one_request(make_daemon: MakeDaemon) -> None:
    daemon, _, _ = make_daemon(RECORD)
    daemon.start()
    client = Client(daemon.url, None)
    events = [
        {"specversion": "1.0", "id": "p-1", "source": "/py", "type": "t", "idempotencykey": "k"},
        {"specversion": "1.0", "id": "p-2", "source": "/py", "type": "t", "idempotencykey": "k"},
    ]
    answer = await asyncio.to_thread(client.submit_many, "record", events)
    assert (answer["queued"], answer["duplicates"]) == (1, 1)
    assert answer["items"][1]["id"] == answer["items"][0]["id"]
    with pytest.raises(ApiError) as refused:
        await asyncio.to_thread(client.submit_many, "record", [{"id": "no-source"}])
    assert refused.value.status == 400
    assert refused.value.body["invalid"][0]["event_id"] == "no-source"
    with pytest.raises(ValueError, match="1 to 1000"):
        client.submit_many("record", [])
