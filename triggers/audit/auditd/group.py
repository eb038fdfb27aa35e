"""Records to events. The kernel writes one event as several records sharing an event id; how
to know it is complete follows auparse:

- a PROCTITLE or EOE record ends it (the kernel writes them last; auditd 3 drops EOE);
- an event whose first record is not of a kernel syscall-event type (USER_*, DAEMON_*,
  SERVICE_*, ...) is a single record;
- otherwise it is complete once a record 2 s newer appears, or nothing was added for
  `idle_timeout` (the log went quiet).

Records of different events may interleave, so pending events are kept by id; `first_offset`
says where the oldest one starts, which is as far as a file position may be committed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from triggers.audit.auditd.record import EventId, Record
from triggers.log_stream.tail import FileKey, Line

EOE_TIMEOUT = 2.0  # auparse's default: records this much newer close an open event
MAX_PENDING = 1000
TERMINAL = frozenset({"EOE", "PROCTITLE"})
# Records that are parts of a kernel (syscall) event, which has more records to come.
KERNEL_PARTS = frozenset(
    {
        "SYSCALL", "PATH", "CWD", "EXECVE", "SOCKADDR", "SOCKETCALL", "IPC", "IPC_SET_PERM",
        "MQ_OPEN", "MQ_SENDRECV", "MQ_NOTIFY", "MQ_GETSETATTR", "FD_PAIR", "OBJ_PID",
        "BPRM_FCAPS", "CAPSET", "MMAP", "NETFILTER_PKT", "NETFILTER_CFG", "SECCOMP",
        "CONFIG_CHANGE", "LOGIN", "FEATURE_CHANGE", "REPLACE", "KERN_MODULE", "FANOTIFY",
        "TIME_INJOFFSET", "TIME_ADJNTPVAL", "BPF", "EVENT_LISTENER", "URINGOP", "OPENAT2",
        "DM_CTRL", "DM_EVENT", "AVC", "AVC_PATH", "SELINUX_ERR", "USER_AVC_PATH", "KERNEL_OTHER",
        "TTY", "ANOM_LINK", "ANOM_CREAT", "ANOM_PROMISCUOUS", "INTEGRITY_DATA",
        "INTEGRITY_METADATA", "INTEGRITY_STATUS", "INTEGRITY_HASH", "INTEGRITY_PCR",
        "INTEGRITY_RULE", "INTEGRITY_EVM_XATTR", "INTEGRITY_POLICY_RULE", "MAC_POLICY_LOAD",
        "MAC_STATUS", "MAC_CONFIG_CHANGE", "MAC_UNLBL_ALLOW", "MAC_IPSEC_EVENT", "UNKNOWN",
    }
)  # fmt: skip


@dataclass(slots=True)
class Pending:
    id: EventId
    file: FileKey
    first_offset: int
    lines: list[Line] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    touched: float = 0.0


@dataclass(frozen=True, slots=True)
class Grouped:
    """A complete event: its records and the lines they came from."""

    id: EventId
    records: list[Record]
    lines: list[Line]


class Grouper:
    def __init__(
        self, idle_timeout: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._pending: dict[EventId, Pending] = {}
        self._newest = 0.0  # the newest record timestamp seen

    def add(self, line: Line, record: Record) -> list[Grouped]:
        now = self._clock()
        pending = self._pending.get(record.id)
        if pending is None:
            pending = self._pending[record.id] = Pending(record.id, line.key, line.offset)
        pending.lines.append(line)
        pending.records.append(record)
        pending.touched = now
        done: list[Grouped] = []
        if record.type in TERMINAL or (
            len(pending.records) == 1 and _base_type(record.type) not in KERNEL_PARTS
        ):
            done.append(self._close(record.id))
        self._newest = max(self._newest, record.id.seconds)
        done += self._close_where(lambda p: self._newest - p.id.seconds > EOE_TIMEOUT)
        if len(self._pending) > MAX_PENDING:
            oldest = min(self._pending.values(), key=lambda p: p.touched)
            done.append(self._close(oldest.id))
        return done

    def flush_idle(self) -> list[Grouped]:
        now = self._clock()
        return self._close_where(lambda p: now - p.touched >= self.idle_timeout)

    def flush_all(self) -> list[Grouped]:
        return self._close_where(lambda _p: True)

    def first_offset(self, key: FileKey) -> int | None:
        """Where the oldest incomplete event of the file starts (None: nothing pending)."""
        offsets = [p.first_offset for p in self._pending.values() if p.file == key]
        return min(offsets) if offsets else None

    def clear(self) -> None:
        self._pending.clear()

    def _close_where(self, test: Callable[[Pending], bool]) -> list[Grouped]:
        ids = [p.id for p in self._pending.values() if test(p)]
        return [self._close(event_id) for event_id in ids]

    def _close(self, event_id: EventId) -> Grouped:
        pending = self._pending.pop(event_id)
        return Grouped(pending.id, pending.records, pending.lines)


def _base_type(record_type: str) -> str:
    # `UNKNOWN[1334]`: a type this auditd has no name for.
    return record_type.partition("[")[0]
