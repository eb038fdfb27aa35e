"""Which file is which: a path can point at a new file after rotation, an inode cannot, so a
file is known by (st_dev, st_ino) and, across restarts, by a checksum of its first bytes
(ext4 and tmpfs reuse a freed inode at once).

Offsets repeat when a file is truncated or its inode reused, so an `epoch` (milliseconds when
the tailer first read the file from offset 0, or saw it truncated) goes with every position and
idempotency key; it is committed with the first invocations that carry it."""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass

HEAD_BYTES = 64


@dataclass(frozen=True, slots=True, order=True)
class FileKey:
    dev: int
    ino: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileKey:
        return cls(st.st_dev, st.st_ino)

    def __str__(self) -> str:
        return f"{self.dev}:{self.ino}"


def new_epoch(after: int = 0) -> int:
    return max(int(time.time() * 1000), after + 1)


@dataclass(frozen=True, slots=True)
class Head:
    """A checksum of the first `length` bytes: once written, a log file's head never changes."""

    length: int
    crc: int

    @classmethod
    def read(cls, fd: int, length: int) -> Head:
        data = os.pread(fd, length, 0)
        return cls(len(data), zlib.crc32(data))

    def matches(self, fd: int) -> bool:
        return Head.read(fd, self.length) == self
