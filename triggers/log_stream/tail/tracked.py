"""One open file being tailed. The descriptor stays open, so a file renamed or deleted by a
rotation is still read to its end through the inode, whatever its path now holds."""

from __future__ import annotations

import os

from triggers.log_stream.tail.identity import HEAD_BYTES, FileKey, Head, new_epoch
from triggers.log_stream.tail.line import INCOMPLETE, SPLIT, Line


class TrackedFile:
    def __init__(
        self, fd: int, key: FileKey, path: str, name: str, offset: int, epoch: int
    ) -> None:
        self.fd = fd
        self.key = key
        self.path = path
        self.name = name
        self.offset = offset  # the next byte to read
        self.acked = offset  # every line before it is durably enqueued
        self.epoch = epoch
        self.retired_at: float | None = None  # no longer at a watched path since then
        self.finished = False  # retired, drained, and its last partial line handed out
        self._head: Head | None = None
        self._partial_size = -1  # file size when only a partial line was left to read

    @classmethod
    def open(cls, path: str, name: str | None = None) -> TrackedFile:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        key = FileKey.of(os.fstat(fd))
        return cls(fd, key, path, name or path, 0, new_epoch())

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def truncated(self) -> None:
        self.offset = self.acked = 0
        self.epoch = new_epoch(self.epoch)
        self._head = None
        self._partial_size = -1

    def rewind(self) -> None:
        self.offset = self.acked
        self.finished = False
        self._partial_size = -1

    def head(self) -> Head | None:
        """The head checksum covering what is acked, cached once it is full length."""
        if self._head is not None:
            return self._head
        length = min(HEAD_BYTES, self.acked)
        if length == 0:
            return None
        head = Head.read(self.fd, length)
        if length == HEAD_BYTES:
            self._head = head
        return head

    def read_lines(self, budget: int, max_line: int) -> tuple[list[Line], bool]:
        """Complete lines from `offset`, reading at most `budget` bytes (more than `max_line`);
        True when the budget ran out before the end of the file."""
        size = self.size()
        if size <= self.offset or size == self._partial_size:
            return [], False
        data = os.pread(self.fd, min(budget, size - self.offset), self.offset)
        lines: list[Line] = []
        start = 0
        while start < len(data):
            newline = data.find(b"\n", start, start + max_line + 1)
            if newline >= 0:
                lines.append(self._line(start, newline + 1, data[start:newline]))
                start = newline + 1
            elif len(data) - start > max_line:  # an endless line must not stall the file
                lines.append(
                    self._line(start, start + max_line, data[start : start + max_line], SPLIT)
                )
                start += max_line
            else:
                break
        self.offset += start
        more = len(data) == budget and self.offset < size
        self._partial_size = size if not lines else -1
        return lines, more

    def read_partial(self, max_line: int) -> Line | None:
        """What is left after the last newline, as a final line (the file will not grow)."""
        data = os.pread(self.fd, max_line, self.offset)
        if not data:
            return None
        line = self._line(0, len(data), data, INCOMPLETE)
        self.offset += len(data)
        return line

    def _line(self, start: int, end: int, raw: bytes, flag: str | None = None) -> Line:
        return Line(
            key=self.key,
            epoch=self.epoch,
            name=self.name,
            path=self.path,
            offset=self.offset + start,
            end=self.offset + end,
            raw=raw.removesuffix(b"\r") if flag is None else raw,
            flag=flag,
        )

    def close(self) -> None:
        os.close(self.fd)
