"""The auditd trigger in the real runtime and Hub: recorded audit logs replayed into a file the
way auditd writes and rotates it, filters, and a restart in the middle of an event."""

from __future__ import annotations

from pathlib import Path

import orjson

from hub import Hub
from hub.config.triggers import TriggerConfig
from tests.audit.conftest import MakeHub, MakeSet, audit_trigger, count, submitted
from tests.audit.test_auditd_parse import ENRICHED, RAW_NEW, RAW_OLD, events
from tests.waiting import until


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


def auditd(paths: Path | str, **options: object) -> TriggerConfig:
    return audit_trigger(
        "auditd", paths=str(paths), poll_interval="20ms", rotate_wait="50ms", **options
    )


async def test_a_rotated_raw_log_gives_every_event_once(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "audit.log"
    old = RAW_OLD.read_bytes()
    expected = {e.id for e in events(RAW_OLD).values()} | {e.id for e in events(RAW_NEW).values()}
    async with make_set(hub) as triggers:
        await triggers.start({"t": auditd(tmp_path / "audit.log", **{"from": "start"})})
        await until(lambda: triggers.status()["t"]["state"] == "connected")
        # Written in uneven pieces, cutting events (and lines) in two.
        for start in range(0, len(old), 7001):
            append(log, old[start : start + 7001])
        await until(lambda: _count_is(hub, 221))
        log.rename(tmp_path / "audit.log.1")  # what auditd does on rotation
        append(log, RAW_NEW.read_bytes())
        await until(lambda: _count_is(hub, 229))
    got = await submitted(hub)
    assert {e.id for e in got} == expected
    assert len(got) == len(expected)


async def _count_is(hub: Hub, wanted: int) -> bool:
    return await count(hub) >= wanted


async def test_filters_pick_events(hub: Hub, make_set: MakeSet, tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(ENRICHED.read_bytes())
    start = {"from": "start"}
    async with make_set(hub) as triggers:
        await triggers.start(
            {
                "keys": auditd(log, keys="exec_id", **start),
                "calls": audit_trigger(
                    "auditd",
                    function="g",
                    paths=str(log),
                    syscalls=["openat", 263],
                    record_types=["PATH"],
                    poll_interval="20ms",
                    **start,
                ),
            }
        )
        await until(lambda: _count_is(hub, 4))
        await until(lambda: triggers.status()["calls"]["events_in"] == 4)
    assert sorted(e.data["serial"] for e in await submitted(hub)) == [7, 12, 13, 18]
    assert sorted(e.data["serial"] for e in await submitted(hub, "g")) == [9, 10, 11, 15]


async def test_a_restart_inside_an_unfinished_event_delivers_it_whole_once(
    make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "audit.log"
    lines = ENRICHED.read_bytes().splitlines(keepends=True)
    # Lines 32-33 are the first two records of event 12 (SYSCALL, BPRM_FCAPS): cut there.
    append(log, b"".join(lines[:33]))
    trigger = auditd(log, **{"from": "start"})
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: _count_is(hub, 8))  # 4793 and 5..11
        stored = await hub.store.get_checkpoint("audit:t")
        assert stored is not None
        [position] = orjson.loads(stored)["files"]
        # Never past the first record of the event still being grouped.
        assert position["offset"] == len(b"".join(lines[:31]))
    append(log, b"".join(lines[33:]))
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await until(lambda: _count_is(hub, 18))
        got = await submitted(hub)
        assert len(got) == len({e.id for e in got}) == 18
        [twelve] = [e for e in got if e.data["serial"] == 12]
        assert len(twelve.data["records"]) == 7


async def test_lines_that_are_not_records_are_carried_flagged(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "audit.log"
    log.write_bytes(b"garbage \xff line\n" + ENRICHED.read_bytes().splitlines(keepends=True)[0])
    async with make_set(hub) as triggers:
        await triggers.start({"t": auditd(log, **{"from": "start"})})
        await until(lambda: _count_is(hub, 2))
    start, invalid = sorted(await submitted(hub), key=lambda e: e.subject or "")
    assert (invalid.subject, invalid.extensions["auditflags"]) == ("INVALID", "invalid")
    assert invalid.data["raw"] == "garbage \\xff line"
    assert start.subject == "DAEMON_START"
