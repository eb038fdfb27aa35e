"""The tailer on real files: partial lines, rotation, truncation and resuming from positions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import structlog

from triggers.log_stream.tail import Line, Position, Tailer
from triggers.log_stream.tail.identity import Head
from triggers.log_stream.tail.line import INCOMPLETE, SPLIT


def tailer(*patterns: Path | str, **options: Any) -> Tailer:
    settings: dict[str, Any] = {
        "start_at_end": False,
        "rotate_wait": 0.0,
        "max_line_bytes": 1024,
        **options,
    }
    return Tailer([str(p) for p in patterns], log=structlog.get_logger(), **settings)


def append(path: Path, text: str | bytes) -> None:
    with path.open("ab") as f:
        f.write(text.encode() if isinstance(text, str) else text)


def raws(lines: list[Line]) -> list[bytes]:
    return [line.raw for line in lines]


def ack_all(t: Tailer, lines: list[Line]) -> None:
    t.commit({line.key: (line.epoch, line.end) for line in lines})


def test_complete_lines_only_and_a_partial_line_waits(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "one\ntwo\r\nthr")
    t = tailer(log)
    lines = t.poll()
    assert raws(lines) == [b"one", b"two"]
    assert [(line.offset, line.end) for line in lines] == [(0, 4), (4, 9)]
    assert t.poll() == []
    append(log, "ee\n")
    [three] = t.poll()
    assert (three.raw, three.offset, three.name) == (b"three", 9, str(log))


def test_from_end_applies_only_to_the_files_of_the_first_scan(tmp_path: Path) -> None:
    old = tmp_path / "a.log"
    append(old, "before\n")
    t = tailer(tmp_path / "*.log", start_at_end=True)
    assert t.poll() == []
    append(old, "after\n")
    new = tmp_path / "b.log"
    append(new, "new file\n")
    assert sorted(raws(t.poll())) == [b"after", b"new file"]


def test_rename_and_create_drains_the_old_inode_first(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n")
    t = tailer(log, rotate_wait=3600)
    ack_all(t, t.poll())
    writer = log.open("ab")  # the application's handle survives the rename
    log.rename(tmp_path / "app.log.1")
    writer.write(b"2 late, to the old file\n")
    writer.close()
    append(log, "3 new file\n")
    lines = t.poll()
    assert raws(lines) == [b"2 late, to the old file", b"3 new file"]
    old, new = lines
    assert old.key != new.key
    assert old.name == new.name == str(log)  # events name the watched path
    assert new.offset == 0


def test_a_glob_matching_the_rotated_name_still_reads_old_before_new(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n")
    t = tailer(tmp_path / "app.log*")
    ack_all(t, t.poll())
    append(log, "2\n")
    log.rename(tmp_path / "app.log.1")
    append(log, "3\n")
    os.utime(log, ns=(4 * 10**18, 4 * 10**18))  # written after the rotated file, whatever the clock
    assert raws(t.poll()) == [b"2", b"3"]


def test_a_rotated_file_is_dropped_once_drained_and_acked(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n")
    t = tailer(log)
    ack_all(t, t.poll())
    append(log, "2 without newline")
    log.rename(tmp_path / "app.log.1")
    lines = t.poll()
    # rotate_wait is 0: the unterminated last line is handed out, flagged.
    assert [(line.raw, line.flag) for line in lines] == [(b"2 without newline", INCOMPLETE)]
    assert len(t.positions()) == 1  # kept until that line is acked
    ack_all(t, lines)
    assert t.poll() == []
    assert t.positions() == []


def test_truncation_restarts_at_zero_and_voids_older_positions(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "a long first line\n")
    t = tailer(log)
    [first] = t.poll()
    log.write_bytes(b"x\n")
    [again] = t.poll()
    assert (again.raw, again.offset) == (b"x", 0)
    assert again.epoch > first.epoch
    # A position computed for the old content must not move the new one.
    [position] = t.positions({first.key: (first.epoch, first.end)})
    assert position.offset == 0
    ack_all(t, [first])
    assert t.positions()[0].offset == 0


def test_invalid_bytes_are_kept_and_endless_lines_split(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, b"caf\xe9\n" + b"y" * 2500)
    t = tailer(log)
    lines = t.poll()
    assert [(line.raw[:4], len(line.raw), line.flag) for line in lines] == [
        (b"caf\xe9", 4, None),
        (b"yyyy", 1024, SPLIT),
        (b"yyyy", 1024, SPLIT),
    ]
    append(log, "\n")
    [rest] = t.poll()
    assert (len(rest.raw), rest.flag) == (2500 - 2048, None)


def test_rewind_reads_again_from_the_acked_position(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n2\n")
    t = tailer(log)
    one, _ = t.poll()
    ack_all(t, [one])
    t.rewind()
    assert raws(t.poll()) == [b"2"]


def _resume(t: Tailer, positions: list[Position]) -> list[bytes]:
    t.resume(positions)
    return raws(t.poll())


def test_resume_continues_exactly_where_the_positions_say(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n2\n")
    t = tailer(log)
    one, _ = t.poll()
    ack_all(t, [one])
    positions = t.positions()
    t.close()
    append(log, "3\n")
    assert _resume(tailer(log, start_at_end=True), positions) == [b"2", b"3"]


def test_resume_finds_a_file_rotated_while_stopped(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "1\n")
    t = tailer(log)
    ack_all(t, t.poll())
    positions = t.positions()
    t.close()
    append(log, "2 before the rotation\n")
    log.rename(tmp_path / "app.log.1")
    append(log, "3 after\n")
    assert _resume(tailer(log), positions) == [b"2 before the rotation", b"3 after"]


def test_resume_reads_a_file_truncated_while_stopped_from_zero(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "a long line that goes away\n")
    t = tailer(log)
    ack_all(t, t.poll())
    positions = t.positions()
    t.close()
    log.write_bytes(b"short\n")
    assert _resume(tailer(log), positions) == [b"short"]


def test_resume_does_not_trust_a_reused_inode_with_other_content(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    append(log, "original content\n")
    t = tailer(log)
    ack_all(t, t.poll())
    [position] = t.positions()
    assert position.head == Head(17, position.head.crc if position.head else 0)
    t.close()
    # Same inode, same size, different bytes: what a deleted file's reused inode looks like.
    with log.open("r+b") as f:
        f.write(b"REPLACED content\n")
    assert _resume(tailer(log), [position]) == [b"REPLACED content"]
