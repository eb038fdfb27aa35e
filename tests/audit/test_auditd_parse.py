"""auditd records and events, parsed from logs recorded from a real auditd (see
fixtures/README.md): grouping by event id, decoding, the event shape and the filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.events import Event
from triggers.audit.auditd.group import Grouped, Grouper
from triggers.audit.auditd.parse import audit_event, wanted_events
from triggers.audit.auditd.record import RecordError, parse_record
from triggers.log_stream.tail import FileKey, Line

FIXTURES = Path(__file__).parent / "fixtures"
ENRICHED = FIXTURES / "auditd-enriched.log"
RAW_OLD, RAW_NEW = FIXTURES / "raw" / "audit.log.1", FIXTURES / "raw" / "audit.log"


def lines_of(path: Path) -> list[Line]:
    out, offset = [], 0
    for raw in path.read_bytes().splitlines(keepends=True):
        end = offset + len(raw)
        out.append(Line(FileKey(1, 2), 1, str(path), str(path), offset, end, raw.rstrip(b"\n")))
        offset = end
    return out


def group(lines: list[Line], grouper: Grouper | None = None) -> list[Grouped]:
    grouper = grouper or Grouper()
    done: list[Grouped] = []
    for line in lines:
        done += grouper.add(line, parse_record(line.raw.decode()))
    return done


def events(path: Path) -> dict[int, Event]:
    grouped = group(lines_of(path))
    return {g.id.serial: audit_event(g) for g in grouped}


def record(event: Event, record_type: str, n: int = 0) -> dict[str, Any]:
    found = [r for r in event.data["records"] if r["type"] == record_type]
    return found[n]  # type: ignore[no-any-return]


def test_every_record_of_the_enriched_log_lands_in_one_complete_event() -> None:
    lines = lines_of(ENRICHED)
    grouper = Grouper()
    grouped = group(lines, grouper)
    assert grouper.flush_all() == []  # PROCTITLE or a single-record type ended each one
    assert sum(len(g.records) for g in grouped) == len(lines) == 76
    assert [g.id.serial for g in grouped] == [4793, *range(5, 21), 4794]
    for g in grouped:
        assert {r.id for r in g.records} == {g.id}


def test_an_execve_event_with_hex_encoded_arguments() -> None:
    event = events(ENRICHED)[12]
    assert event.id == event.idempotency_key == "auditd:vm:1795451517.461:12"
    assert (event.type, event.subject, event.time) == (
        "triggerhub.audit.auditd",
        "SYSCALL",
        "2026-11-23T16:31:57.461000Z",
    )
    assert event.source == f"file://{ENRICHED}"
    assert event.extensions == {"auditserial": 12, "auditkey": "exec_id"}
    data = event.data
    assert (data["node"], data["timestamp"], data["serial"], data["keys"]) == (
        "vm",
        "1795451517.461",
        12,
        ["exec_id"],
    )
    assert data["syscall"] == {"number": "59", "name": "execve"}
    assert [r["type"] for r in data["records"]] == [
        "SYSCALL",
        "BPRM_FCAPS",
        "EXECVE",
        "CWD",
        "PATH",
        "PATH",
        "PROCTITLE",
    ]
    execve = record(event, "EXECVE")["fields"]
    assert (execve["a0"], execve["a1"], execve["a2"]) == ("/usr/bin/id", "-u", "arg with space")
    assert record(event, "PROCTITLE")["fields"]["proctitle"] == "/usr/bin/id -u arg with space"
    syscall = record(event, "SYSCALL")
    assert (syscall["fields"]["exe"], syscall["fields"]["comm"]) == ("/usr/bin/id", "id")
    assert syscall["fields"]["a0"] == "55c921485730"  # registers are not text
    assert syscall["enriched"]["SYSCALL"] == "execve"
    assert syscall["enriched"]["AUID"] == "unset"
    assert syscall["raw"].startswith("node=vm type=SYSCALL msg=audit(1795451517.461:12): ")


def test_a_hex_encoded_path_name_and_a_null_key() -> None:
    touched = events(ENRICHED)[10]
    created = record(touched, "PATH", 1)["fields"]
    assert (created["name"], created["nametype"]) == (
        "/tmp/auditfix/secret/file with space",
        "CREATE",
    )
    config_change = events(ENRICHED)[5]
    assert record(config_change, "SYSCALL")["fields"]["key"] is None
    assert config_change.data["keys"] == []
    assert "auditkey" not in config_change.extensions


def test_user_space_records_are_single_events_with_their_nested_message() -> None:
    by_serial = events(ENRICHED)
    user = by_serial[16]
    [only] = user.data["records"]
    assert (user.subject, only["type"], user.data["syscall"]) == ("USER", "USER", None)
    assert only["fields"]["exe"] == "/usr/sbin/auditctl"
    assert only["fields"]["res"] == "success"
    assert only["fields"]["msg"].startswith("text=fixture user message: hello")
    assert by_serial[4793].subject == "DAEMON_START"


def test_the_raw_format_rotated_pair() -> None:
    old, new = events(RAW_OLD), events(RAW_NEW)
    assert len(old) == 221 and len(new) == 8
    assert new[6657].subject == "DAEMON_ROTATE"  # auditd's record opening the new file
    touch = old[25]
    assert touch.id == "auditd:-:1795452306.525:25"  # no node= in this format
    # Two rule keys, hex-encoded and joined by 0x01 by the kernel.
    assert touch.data["keys"] == ["secret_access", "compliance"]
    assert touch.extensions["auditkey"] == "secret_access,compliance"
    assert record(touch, "PATH", 1)["fields"]["name"] == "/tmp/auditfix/secret/résumé.txt"
    # Without enrichment the syscall is named from the x86_64 table.
    assert touch.data["syscall"] == {"number": "257", "name": "openat"}
    env = old[240]
    args = record(env, "EXECVE")["fields"]
    assert (args["a4"], args["a5"]) == ('quoted "arg"', "tab\targ")


def test_interleaved_records_timeouts_and_idle_flush() -> None:
    now = [0.0]
    grouper = Grouper(idle_timeout=5.0, clock=lambda: now[0])
    texts = [
        "type=SYSCALL msg=audit(100.000:1): arch=c000003e syscall=59 key=(null)",
        "type=SYSCALL msg=audit(100.001:2): arch=c000003e syscall=2 key=(null)",
        'type=CWD msg=audit(100.000:1): cwd="/"',
        "type=PROCTITLE msg=audit(100.001:2): proctitle=6C73",  # ends event 2
        "type=SYSCALL msg=audit(100.500:3): arch=c000003e syscall=59 key=(null)",
        "type=USER_LOGIN msg=audit(102.100:4): pid=1 msg='op=login acct=\"bob\" res=failed'",
    ]
    done: list[list[int]] = []
    for n, text in enumerate(texts):
        line = Line(FileKey(1, 2), 1, "a", "a", n * 100, n * 100 + 99, text.encode())
        done.append([g.id.serial for g in grouper.add(line, parse_record(text))])
    # 1 has no PROCTITLE: closed when a record over 2 s newer arrives, with 4 (single record).
    assert done == [[], [], [], [2], [], [4, 1]]
    assert grouper.first_offset(FileKey(1, 2)) == 400  # event 3 is still open
    assert grouper.flush_idle() == []
    now[0] = 5.0
    [three] = grouper.flush_idle()
    assert three.id.serial == 3
    assert grouper.first_offset(FileKey(1, 2)) is None


def test_filters_on_keys_record_types_and_syscalls() -> None:
    grouped = group(lines_of(ENRICHED))

    def serials(**options: Any) -> list[int]:
        wanted = wanted_events(
            options.get("keys"), options.get("record_types"), options.get("syscalls")
        )
        return [g.id.serial for g in grouped if wanted(g)]

    assert serials(keys=["exec_id"]) == [7, 12, 13, 18]
    assert serials(record_types=["EXECVE"]) == [12, 13]
    assert serials(record_types=["user", "daemon_end"]) == [16, 4794]
    assert serials(syscalls=["unlinkat", "316"]) == [14, 15]
    assert serials(keys=["secret_access"], syscalls=["openat"]) == [9, 10, 11]


def test_a_line_that_is_not_a_record_is_an_error() -> None:
    with pytest.raises(RecordError, match="not an audit record"):
        parse_record("hello world")
