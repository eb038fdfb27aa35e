"""The `triggerhub` command as an operator types it, against a real daemon."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.daemon.conftest import FUNCTIONS, Api, write_config
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
