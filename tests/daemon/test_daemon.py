"""The daemon as an operator runs it: a subprocess with a YAML file, signals and live reload."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from tests.daemon.conftest import Api, MakeDaemon, copy_example, write_config
from tests.servers.daemon import Daemon
from tests.servers.process import free_port
from tests.waiting import until

ROOT = Path(__file__).resolve().parents[2]
SLOW = """\
slow:
  target: {type: python, handler: "testfns:slow"}
  timeout: 30s
"""
RECORD = """\
record:
  target: {type: python, handler: "testfns:record"}
"""
FUNCTIONS_LATER = """
async def record(event):
    return "later"
"""


async def test_newcomer_path_with_the_example_config(
    tmp_path: Path, daemon_factory: Callable[..., Daemon], api_session: aiohttp.ClientSession
) -> None:
    """The README's quickstart: run config/triggers.yaml, curl an invocation, see it succeed."""
    config = copy_example(tmp_path)
    port = free_port()
    env = {"TRIGGERHUB_LISTEN": f"127.0.0.1:{port}"}
    daemon = daemon_factory(config, tmp_path, api_port=port, env=env)
    daemon.start()
    api = Api(api_session, daemon.url)
    created = await api.invoke("hello", {"name": "you"})
    inv = await api.wait(created["id"])
    assert inv["status"] == "succeeded"
    assert inv["response"] == {"greeting": "hello, you", "event_type": "triggerhub.http.invoke"}
    failed = await api.wait((await api.invoke("hello", {"fail": "demo"}))["id"])
    assert failed["status"] == "failed"
    dead = tmp_path / ".triggerhub" / "dead-letter.jsonl"
    await until(lambda: dead.exists() and dead.read_text().count("\n") == 1)
    record = json.loads(dead.read_text())
    assert (
        record["request_context"]["request_id"] == created["id"]
        or record["request_context"]["condition"] == "NonRetryableError"
    )
    assert daemon.terminate() == 0


async def test_sigterm_lets_running_invocations_finish(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, _, _ = make_daemon(SLOW, hub="drain_timeout: 20s\n")
    daemon.start()
    api = Api(api_session, daemon.url)
    ids = [(await api.invoke("slow", {"seconds": 1.0}))["id"] for _ in range(3)]
    for inv_id in ids:
        await api.wait(inv_id, {"running"})
    assert await asyncio.to_thread(daemon.terminate) == 0
    daemon.start()
    for inv_id in ids:
        inv = await api.get(inv_id)
        assert inv["status"] == "succeeded" and inv["attempts"] == 1, inv


async def test_sigterm_past_the_drain_deadline_requeues_interrupted_work(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, _, _ = make_daemon(SLOW, hub="drain_timeout: 0.2s\n")
    daemon.start()
    api = Api(api_session, daemon.url)
    running = (await api.invoke("slow", {"seconds": 3.0}))["id"]
    deferred = (await api.invoke("slow", {"seconds": 0}, **{"X-Triggerhub-Delay": "1"}))["id"]
    await api.wait(running, {"running"})
    assert await asyncio.to_thread(daemon.terminate) == 0
    daemon.start()
    done = await api.wait(running)
    assert done["status"] == "succeeded" and done["attempts"] == 2
    assert "interrupted by shutdown" in [h["detail"] for h in done["history"]]
    assert (await api.wait(deferred))["status"] == "succeeded"


async def test_reload_under_load_loses_nothing(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, config, port = make_daemon(RECORD)
    daemon.start()
    api = Api(api_session, daemon.url)
    ids: list[str] = []

    async def load() -> None:
        for i in range(300):
            ids.append((await api.invoke("record", {"i": i}))["id"])

    loader = asyncio.create_task(load())
    await until(lambda: len(ids) >= 50)
    # A reload that changes the function and adds another, while invocations stream in.
    write_config(
        config,
        port,
        RECORD.replace('testfns:record"}', 'testfns:record"}\n  timeout: 5s')
        + SLOW.replace("slow:", "slower:"),
    )
    await until(lambda: "config reloaded" in daemon.log(), timeout=15)
    await loader
    slower = await api.wait((await api.invoke("slower", {"seconds": 0}))["id"])
    assert slower["status"] == "succeeded"
    for inv_id in ids:
        assert (await api.wait(inv_id))["status"] == "succeeded"
    assert daemon.terminate() == 0


async def test_invalid_reload_is_refused_and_the_old_config_keeps_running(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    daemon, config, _ = make_daemon(RECORD)
    daemon.start()
    api = Api(api_session, daemon.url)
    config.write_text(
        config.read_text().replace('testfns:record"}', 'testfns:record"}\n    bogus: 1')
    )
    await until(lambda: "reload refused" in daemon.log(), timeout=15)
    assert "functions.record.bogus" in daemon.log()
    inv = await api.wait((await api.invoke("record", {}))["id"])
    assert inv["status"] == "succeeded"
    assert daemon.terminate() == 0


def rewrite_config(config: Path, port: int, functions: str) -> None:
    """As editors save (a new file renamed over the old): the watcher never reads half a file."""
    staged = config.with_name("staged.yaml")
    write_config(staged, port, functions)
    os.replace(staged, config)


async def test_a_handler_that_cannot_be_imported_is_refused_and_the_watcher_goes_on(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    """The file names a module not written yet: one clean refusal, no traceback. Once the
    module is there, the next edit of the file is picked up without a SIGHUP."""
    daemon, config, port = make_daemon(RECORD)
    daemon.start()
    api = Api(api_session, daemon.url)
    later = RECORD.replace("record:", "later:").replace("testfns:record", "laterfns:record")
    rewrite_config(config, port, RECORD + later)
    await until(lambda: "reload refused" in daemon.log(), timeout=15)
    [refused] = [line for line in daemon.log().splitlines() if "reload refused" in line]
    errors = json.loads(refused)["errors"]
    assert errors.startswith(f"{config.resolve()}:")
    assert "functions.later.target.handler: cannot import 'laterfns'" in errors
    assert "Traceback" not in daemon.log() and "Task exception" not in daemon.log()
    os.kill(daemon.pid, signal.SIGHUP)  # the same refusal, from the signal handler
    await until(lambda: daemon.log().count("reload refused") == 2, timeout=15)
    refusals = [json.loads(line) for line in daemon.log().splitlines() if "reload refused" in line]
    assert [r["reason"] for r in refusals] == ["file changed", "SIGHUP"]
    assert "Traceback" not in daemon.log() and "Task exception" not in daemon.log()
    assert (await api.wait((await api.invoke("record", {}))["id"]))["status"] == "succeeded"

    (config.parent / "laterfns.py").write_text(FUNCTIONS_LATER)
    rewrite_config(config, port, RECORD + later.replace("later:", "later:\n  timeout: 5s", 1))
    await until(lambda: "config reloaded" in daemon.log(), timeout=15)
    [reloaded] = [line for line in daemon.log().splitlines() if "config reloaded" in line]
    assert json.loads(reloaded)["reason"] == "file changed"
    done = await api.wait((await api.invoke("later", {}))["id"])
    assert done["status"] == "succeeded" and done["response"] == "later", done
    assert "Traceback" not in daemon.log() and "Task exception" not in daemon.log()
    assert daemon.terminate() == 0


async def test_bad_config_fails_at_start_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        "functions:\n  f:\n    target: {type: python, handler: 'x:y'}\n    timeout: soon\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "run",
        "-c",
        str(config),
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert f"{config}:4:14: functions.f.timeout:" in err.decode()


async def test_sighup_reloads(make_daemon: MakeDaemon, api_session: aiohttp.ClientSession) -> None:
    daemon, _, _ = make_daemon(RECORD)
    daemon.start()
    os.kill(daemon.pid, signal.SIGHUP)
    await until(lambda: '"reason": "SIGHUP"' in daemon.log() and "config reloaded" in daemon.log())
    api = Api(api_session, daemon.url)
    assert (await api.wait((await api.invoke("record", {}))["id"]))["status"] == "succeeded"
    assert daemon.terminate() == 0
