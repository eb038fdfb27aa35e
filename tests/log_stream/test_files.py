"""The log_stream trigger on local files, run by the real trigger runtime into a real Hub on a
temporary SQLite file: appends, rotation and truncation while it runs, matching, batching,
bytes that are not UTF-8, and restarts that resume exactly."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from hub import Hub
from tests.log_stream.conftest import RECORD, MakeHub, MakeSet, data, log_trigger, submitted
from tests.waiting import until


def append(path: Path, text: str | bytes) -> None:
    with path.open("ab") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def lines(prefix: str, count: int) -> str:
    return "".join(f"{prefix} {n:03d}\n" for n in range(count))


def expected(prefix: str, count: int) -> list[str]:
    return [f"{prefix} {n:03d}" for n in range(count)]


async def count(hub: Hub, wanted: int) -> None:
    await until(lambda: _has(hub, wanted))


async def _has(hub: Hub, wanted: int, function: str = "f") -> bool:
    return len(await submitted(hub, function)) >= wanted


async def test_appended_lines_become_one_event_each(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    append(log, "written before the first start\n")
    async with make_set(hub) as triggers:
        await triggers.start({"t": log_trigger(paths=str(log), **{"from": "end"})})
        await until(lambda: _checkpointed(hub))  # the first scan is done: "end" is fixed
        append(log, "one\ntwo\n")
        await count(hub, 2)
        assert triggers.status()["t"]["events_in"] == 2
    one, two = await submitted(hub)
    st = os.stat(log)
    assert one.data == "one"
    assert (one.type, one.source, one.subject) == ("triggerhub.log.line", f"file://{log}", str(log))
    epoch = one.extensions["logepoch"]
    assert one.idempotency_key == one.id == f"log:{st.st_dev}:{st.st_ino}:{epoch}:31"
    assert one.extensions == {
        "logoffset": 31,
        "loginode": st.st_ino,
        "logdevice": st.st_dev,
        "logepoch": epoch,
    }
    assert one.datacontenttype == "text/plain"
    assert two.idempotency_key == f"log:{st.st_dev}:{st.st_ino}:{epoch}:35"


async def test_rotation_and_truncation_while_running_lose_and_repeat_nothing(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    async with make_set(hub) as triggers:
        trigger = log_trigger(
            paths=str(tmp_path / "*.log"), rotate_wait="50ms", **{"from": "start"}
        )
        await triggers.start({"t": trigger})
        append(log, lines("a", 50))
        await count(hub, 50)
        writer = log.open("ab")
        log.rename(tmp_path / "app.log.1")  # rename and create, as logrotate does
        writer.write(lines("b", 20).encode())  # late writes through the old handle
        writer.close()
        append(log, lines("c", 30))
        await count(hub, 100)
        log.write_text("")  # copytruncate-style truncation
        append(log, lines("d", 10))
        await count(hub, 110)
        await until(lambda: _files_in_checkpoint(hub, 1))  # the drained rotated file is gone
    assert await data(hub) == sorted(
        expected("a", 50) + expected("b", 20) + expected("c", 30) + expected("d", 10)
    )


async def _files_in_checkpoint(hub: Hub, wanted: int) -> bool:
    stored = await hub.store.get_checkpoint("log_stream:t")
    return stored is not None and len(orjson.loads(stored)["files"]) == wanted


async def test_a_restart_resumes_exactly_where_it_stopped(
    make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    trigger = log_trigger(paths=str(log), **{"from": "start"})
    append(log, lines("first", 5))
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await count(hub, 5)
    # Stopped: the file grows and is rotated before the trigger runs again.
    append(log, lines("while stopped", 3))
    log.rename(tmp_path / "app.log.1")
    append(log, lines("new file", 2))
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await count(hub, 10)
        append(log, lines("after", 1))
        await count(hub, 11)
        assert sorted(await data(hub)) == sorted(
            expected("first", 5)
            + expected("while stopped", 3)
            + expected("new file", 2)
            + expected("after", 1)
        )


async def test_from_end_skips_only_what_existed_at_the_very_first_start(
    make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    append(log, "old\n")
    trigger = log_trigger(paths=str(tmp_path / "*.log"), **{"from": "end"})
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        # The starting positions are committed even though no line was read yet.
        await until(lambda: _checkpointed(hub))
    append(log, "written while stopped\n")
    append(tmp_path / "other.log", "a file that appeared while stopped\n")
    async with make_hub() as hub, make_set(hub) as triggers:
        await triggers.start({"t": trigger})
        await count(hub, 2)
        assert await data(hub) == ["a file that appeared while stopped", "written while stopped"]


async def _checkpointed(hub: Hub) -> bool:
    return await hub.store.get_checkpoint("log_stream:t") is not None


async def test_match_contains_regex_and_jsonl_fields(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    text, jsonl = tmp_path / "text.log", tmp_path / "app.jsonl"
    append(text, "INFO ok\nERROR disk full\nERROR code=42\nWARN x\n")
    records = [{"level": "error", "n": 1}, {"level": "info", "n": 2}, {"level": "error", "n": 3}]
    append(jsonl, b"".join(orjson.dumps(r) + b"\n" for r in records) + b"{not json\n")
    start = {"from": "start"}
    # One function per trigger: the same line read by two triggers has the same idempotency
    # key, and the store keeps one invocation per function and key.
    async with make_set(hub) as triggers:
        await triggers.start(
            {
                "contains": log_trigger(paths=str(text), match="ERROR", **start),
                "regex": log_trigger(
                    function="g", paths=str(text), match={"regex": r"code=\d+$"}, **start
                ),
                "fields": log_trigger(
                    function="h",
                    paths=str(jsonl),
                    format="jsonl",
                    match={"fields": {"level": "error"}},
                    **start,
                ),
                "jsonl": log_trigger(function="j", paths=str(jsonl), format="jsonl", **start),
            }
        )
        await count(hub, 2)
        await until(lambda: _has(hub, 4, "j"))
        await until(lambda: _has(hub, 2, "h"))
        await until(lambda: _has(hub, 1, "g"))
        status = triggers.status()
    assert {name: s["events_in"] for name, s in status.items()} == {
        "contains": 2,
        "regex": 1,
        "fields": 2,
        "jsonl": 4,
    }
    assert await data(hub) == ["ERROR code=42", "ERROR disk full"]
    assert await data(hub, "g") == ["ERROR code=42"]
    assert [d["n"] for d in await data(hub, "h")] == [1, 3]
    everything = await submitted(hub, "j")
    parsed = [e.data for e in everything if isinstance(e.data, dict)]
    assert sorted(parsed, key=lambda d: d["n"]) == records
    [invalid] = [e for e in everything if not isinstance(e.data, dict)]
    assert (invalid.data, invalid.extensions["logflags"]) == ("{not json", "json")
    assert invalid.datacontenttype == "application/json"


async def test_bytes_that_are_not_utf8_are_carried_and_flagged(
    hub: Hub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    append(log, b"caf\xc3\xa9 is fine\nlatin-1 caf\xe9\n")
    async with make_set(hub) as triggers:
        await triggers.start({"t": log_trigger(paths=str(log), **{"from": "start"})})
        await count(hub, 2)
    fine, latin = await submitted(hub)
    assert (fine.data, fine.extensions.get("logflags")) == ("café is fine", None)
    assert (latin.data, latin.extensions["logflags"]) == ("latin-1 caf\\xe9", "utf8")


async def test_batches_by_size_and_window(hub: Hub, make_set: MakeSet, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, lines("x", 7) + "bad \xff\n")
    async with make_set(hub) as triggers:
        trigger = log_trigger(paths=str(log), batch_size=3, batch_window="1s", **{"from": "start"})
        await triggers.start({"t": trigger})
        await count(hub, 3)
    batches = sorted(await submitted(hub), key=lambda e: int(e.extensions["logoffset"]))
    assert [e.data for e in batches] == [
        expected("x", 7)[:3],
        expected("x", 7)[3:6],
        ["x 006", "bad \xff"],
    ]
    first, _, last = batches
    assert (first.type, first.extensions["logcount"], first.extensions["logend"]) == (
        "triggerhub.log.lines",
        3,
        18,
    )
    assert first.idempotency_key is not None and first.idempotency_key.endswith(":0")
    assert "logflags" not in first.extensions
    assert last.idempotency_key is not None and last.idempotency_key.endswith(":36")


async def test_a_failed_submit_reads_the_lines_again_without_loss(
    make_hub: MakeHub, make_set: MakeSet, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    append(log, lines("r", 4))
    async with make_hub() as hub:
        hub.set_functions({})  # the trigger's function is unknown: every submit fails
        async with make_set(hub) as triggers:
            await triggers.start({"t": log_trigger(paths=str(log), **{"from": "start"})})
            await until(lambda: "no function named" in str(triggers.status()["t"]["last_error"]))
            hub.set_functions({"f": RECORD})
            await count(hub, 4)
            append(log, lines("s", 1))
            await count(hub, 5)
        assert await data(hub) == expected("r", 4) + expected("s", 1)


async def test_lines_reach_the_function(hub: Hub, make_set: MakeSet, tmp_path: Path) -> None:
    from tests.log_stream import functions

    log = tmp_path / "app.log"
    async with make_set(hub) as triggers:
        await triggers.start({"t": log_trigger(paths=str(log))})
        await until(lambda: _checkpointed(hub))
        append(log, "hello\n")
        await until(lambda: len(functions.received) == 1)
    assert functions.received[0].data == "hello"
