"""A SQLite store that cannot be used, or that another daemon uses, stops the daemon at start
with one line naming the file and what to do, before it accepts any work."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from tests.daemon.conftest import Api, MakeDaemon, write_config
from tests.servers.daemon import Daemon
from tests.servers.process import free_port

RECORD = """\
record:
  target: {type: python, handler: "testfns:record"}
"""
PAYLOAD = {"blob": "x" * 2000}


def one_clear_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert "Traceback" not in stderr
    return lines[0]


async def store_check(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "store",
        "check",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def filled_store(make_daemon: MakeDaemon, session: aiohttp.ClientSession) -> Path:
    """A store the daemon wrote and closed cleanly, with 30 pages of data past its schema."""
    daemon, config, _ = make_daemon(RECORD)
    daemon.start()
    api = Api(session, daemon.url)
    created = await asyncio.gather(*(api.invoke("record", PAYLOAD) for _ in range(300)))
    await asyncio.gather(*(api.wait(c["id"]) for c in created))
    assert daemon.terminate() == 0
    db = config.parent / "hub.db"
    assert db.stat().st_size >= (first_data_page(db) + 40) * page_size(db)
    return db


def page_size(db: Path) -> int:
    return int.from_bytes(db.read_bytes()[16:18], "big")


def first_data_page(db: Path) -> int:
    """The first page past every table's and index's root (the schema grows with features):
    damage there is in the data, which only an integrity check finds."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT MAX(rootpage) FROM sqlite_master").fetchone()[0]) + 1


def overwrite_pages(db: Path, first: int, last: int) -> None:
    size = page_size(db)
    with db.open("r+b") as f:
        f.seek((first - 1) * size)
        f.write(os.urandom((last - first + 1) * size))


async def test_mid_file_corruption_stops_the_start_with_one_line(
    make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    db = await filled_store(make_daemon, api_session)
    first = first_data_page(db)
    overwrite_pages(db, first, first + 29)

    daemon, _, _ = make_daemon(RECORD)
    code, stderr = await asyncio.to_thread(daemon.refused)
    line = one_clear_line(stderr)
    assert code == 1
    assert line.startswith(f"triggerhub: store {db} cannot be used: ")
    assert f"triggerhub store check {db}" in line and "backup" in line

    damaged = db.read_bytes()
    code, out = await store_check(str(db))
    assert code == 1
    assert out.startswith(f"{db}: damaged, integrity_check found ")
    assert "Restore the file from a backup" in out
    assert db.read_bytes() == damaged, "the check must not write to the file"


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated": lambda db: os.truncate(db, db.stat().st_size // 3),
    "garbage": lambda db: db.write_bytes(os.urandom(256 * 1024)),
    "directory": lambda db: (db.unlink(), db.mkdir()),  # type: ignore[func-returns-value]
}


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
async def test_a_store_that_cannot_open_stops_the_start_with_one_line(
    damage: str, make_daemon: MakeDaemon, api_session: aiohttp.ClientSession
) -> None:
    db = await filled_store(make_daemon, api_session)
    CORRUPTIONS[damage](db)
    daemon, _, _ = make_daemon(RECORD)
    code, stderr = await asyncio.to_thread(daemon.refused)
    line = one_clear_line(stderr)
    assert code == 1
    assert line.startswith(f"triggerhub: store {db} ")
    if damage == "directory":
        assert "is a directory" in line
    else:
        assert f"triggerhub store check {db}" in line
        code, out = await store_check(str(db))
        assert code == 1 and out.startswith(f"{db}: ")


async def test_a_second_daemon_on_the_same_file_is_refused_and_a_dead_ones_lock_is_not(
    tmp_path: Path,
    make_daemon: MakeDaemon,
    daemon_factory: Callable[..., Daemon],
    api_session: aiohttp.ClientSession,
) -> None:
    first, config, _ = make_daemon(RECORD)
    first.start()
    db = config.parent / "hub.db"

    # Same store file, its own API port and working directory.
    workdir = tmp_path / "second"
    workdir.mkdir()
    port = free_port()
    second_config = tmp_path / "second.yaml"
    write_config(second_config, port, RECORD)
    env = {"RECORD_FILE": str(tmp_path / "record.txt")}
    second = daemon_factory(second_config, workdir, api_port=port, env=env)
    code, stderr = await asyncio.to_thread(second.refused)
    line = one_clear_line(stderr)
    assert code == 1
    assert line.startswith(f"triggerhub: store {db} is in use by another triggerhub daemon")
    assert f"(pid {first.pid})" in line

    # The first daemon still owns its store and serves.
    api = Api(api_session, first.url)
    assert (await api.wait((await api.invoke("record", {}))["id"]))["status"] == "succeeded"

    # A daemon killed outright leaves its lock file, but not the lock.
    first.kill()
    assert (tmp_path / "hub.db.lock").exists()
    code, out = await store_check("-c", str(config))
    assert code == 0 and out.startswith(f"{db}: ok (integrity_check of "), out
    second.start()
    api = Api(api_session, second.url)
    assert (await api.wait((await api.invoke("record", {}))["id"]))["status"] == "succeeded"
    assert second.terminate() == 0


async def test_store_check_of_a_missing_file_fails_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    code, out = await store_check(str(missing))
    assert (code, out.strip()) == (1, f"{missing}: no such file")
    assert not missing.exists()


async def test_store_check_of_a_postgresql_config_says_so_without_the_url(tmp_path: Path) -> None:
    config = tmp_path / "triggers.yaml"
    config.write_text(
        "hub:\n  store: {url: 'postgresql://hub:s3cret@db.example/hub'}\n"
        "functions: {}\ntriggers: {}\n"
    )
    code, out = await store_check("-c", str(config))
    assert code == 1
    assert "not a SQLite file" in out and "s3cret" not in out


async def test_an_unreachable_postgresql_stops_the_start_with_one_line(
    tmp_path: Path, daemon_factory: Callable[..., Daemon]
) -> None:
    port = free_port()
    config = tmp_path / "triggers.yaml"
    config.write_text(
        f"hub:\n  store: {{url: 'postgresql://hub:s3cret@127.0.0.1:{free_port()}/hub'}}\n"
        f"  api: {{listen: '127.0.0.1:{port}'}}\nfunctions: {{}}\ntriggers: {{}}\n"
    )
    daemon = daemon_factory(config, tmp_path, api_port=port)
    code, stderr = await asyncio.to_thread(daemon.refused)
    line = one_clear_line(stderr)
    assert code == 1
    assert line.startswith("triggerhub: cannot open the store: cannot connect to PostgreSQL: ")
    assert "s3cret" not in line
