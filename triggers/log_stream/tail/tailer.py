"""Follow the files matching some globs by polling: new files are found by re-globbing, a
rotation (rename and create) by the path now naming another inode, a truncation by the size
dropping below the read offset.

Two offsets per file: `offset`, how far lines were read into memory, and `acked`, before which
every line is durably enqueued. Only `acked` goes into the checkpoint; `rewind` (after a failed
submit) reads again from it. The blocking calls (`resume`, `poll`, `close`) run in a worker
thread; a lock keeps `close` from pulling a descriptor out from under a running `poll`."""

from __future__ import annotations

import glob
import os
import stat
import threading
import time
from collections.abc import Mapping, Sequence

from structlog.typing import FilteringBoundLogger

from triggers.log_stream.tail.identity import FileKey, Head
from triggers.log_stream.tail.line import Line
from triggers.log_stream.tail.positions import Position
from triggers.log_stream.tail.reopen import reopen
from triggers.log_stream.tail.tracked import TrackedFile

READ_BUDGET = 1024 * 1024  # bytes per file per poll: bounds memory whatever the backlog
Override = Mapping[FileKey, tuple[int, int]]  # key -> (epoch, acked offset)


class Tailer:
    def __init__(
        self,
        patterns: Sequence[str],
        *,
        start_at_end: bool,
        rotate_wait: float,
        max_line_bytes: int,
        log: FilteringBoundLogger,
    ) -> None:
        self.patterns = [os.path.abspath(p) for p in patterns]
        self.start_at_end = start_at_end
        self.rotate_wait = rotate_wait
        self.max_line = max_line_bytes
        self.budget = max(READ_BUDGET, max_line_bytes + 1)
        self.dirty = False  # files came, went or were truncated since the last checkpoint
        self.unread = 0  # bytes not yet read, over every file, as of the last poll
        self._log = log
        self._files: dict[FileKey, TrackedFile] = {}
        self._fresh = True  # never checkpointed: `from` applies to the files found first
        self._lock = threading.Lock()
        self._unopenable: set[str] = set()

    # -- restart --------------------------------------------------------------------------

    def resume(self, positions: Sequence[Position] | None) -> None:
        """Reopen the files of a checkpoint (None: this trigger never ran) at their offsets."""
        with self._lock:
            self._close_all()
            self._fresh = positions is None
            self.dirty = True
            for position in positions or ():
                tracked = reopen(position, self._log)
                if tracked is not None:
                    self._files[tracked.key] = tracked

    # -- polling --------------------------------------------------------------------------

    def poll(self) -> list[Line]:
        with self._lock:
            now = time.monotonic()
            self._drop_finished()
            self._scan(now)
            self._check_truncation()
            lines = self._read(now)
            self.unread = sum(max(0, _size(f) - f.offset) for f in self._files.values())
            return lines

    def _scan(self, now: float) -> None:
        found = self._glob()
        for tracked in self._files.values():
            path = found.pop(tracked.key, None)
            if path is not None:
                tracked.path, tracked.retired_at = path, None
            elif tracked.retired_at is None:
                tracked.retired_at = now
                self.dirty = True
                self._log.info("file rotated or removed; reading it to its end", path=tracked.path)
        for key, path in sorted(found.items(), key=lambda item: item[1]):
            self._track(key, path)
        self._fresh = False

    def _glob(self) -> dict[FileKey, str]:
        found: dict[FileKey, str] = {}
        for pattern in self.patterns:
            for path in sorted(glob.glob(pattern, recursive=True)):
                try:
                    st = os.stat(path)
                except OSError:
                    continue  # gone between the listing and the stat
                if stat.S_ISREG(st.st_mode):
                    found.setdefault(FileKey.of(st), path)
        return found

    def _track(self, key: FileKey, path: str) -> None:
        try:
            tracked = TrackedFile.open(path)
        except OSError as exc:
            if path not in self._unopenable:  # once, not every poll
                self._unopenable.add(path)
                self._log.warning("cannot open file; will keep trying", path=path, error=repr(exc))
            return
        self._unopenable.discard(path)
        if tracked.key != key:  # replaced between the stat and the open: next poll
            tracked.close()
            return
        if self._fresh and self.start_at_end:
            tracked.offset = tracked.acked = tracked.size()
        self._files[key] = tracked
        self.dirty = True
        self._log.info("tailing file", path=path, offset=tracked.offset)

    def _check_truncation(self) -> None:
        for tracked in self._files.values():
            if _size(tracked) < tracked.offset:
                self._log.warning(
                    "file truncated; reading it again from the start",
                    path=tracked.path,
                    offset=tracked.offset,
                )
                tracked.truncated()
                self.dirty = True

    def _read(self, now: float) -> list[Line]:
        """Rotated-away files first, to their end, so a file's old lines come before the new
        file's; a rotated file is dropped once drained and quiet for `rotate_wait`."""
        lines: list[Line] = []
        retired = sorted(
            (f for f in self._files.values() if f.retired_at is not None and not f.finished),
            key=lambda f: (f.retired_at, f.path),
        )
        for tracked in retired:
            got, more = tracked.read_lines(self.budget, self.max_line)
            lines += got
            if more:
                return lines
            assert tracked.retired_at is not None
            if not got and now - tracked.retired_at >= self.rotate_wait:
                partial = tracked.read_partial(self.max_line)
                lines += [partial] if partial is not None else []
                tracked.finished = True
        # Least recently written first: a file renamed by a rotation but still matched by a glob
        # (app.log.1 under app.log*) is drained before the new app.log.
        active = sorted((f for f in self._files.values() if f.retired_at is None), key=_age)
        for tracked in active:
            got, more = tracked.read_lines(self.budget, self.max_line)
            lines += got
            if more:
                break
        return lines

    def _drop_finished(self) -> None:
        for key in [k for k, f in self._files.items() if f.finished and f.acked >= f.offset]:
            tracked = self._files.pop(key)
            tracked.close()
            self.dirty = True
            self._log.info("finished with rotated file", path=tracked.path)

    # -- positions ------------------------------------------------------------------------

    def positions(self, acked: Override | None = None) -> list[Position]:
        """Every tracked file's durable position, with `acked` applied as if committed; what
        is returned goes into a checkpoint, so `dirty` is cleared."""
        out = []
        for tracked in self._files.values():
            offset = tracked.acked
            if acked is not None and (given := acked.get(tracked.key)) is not None:
                epoch, at = given
                offset = at if epoch == tracked.epoch else offset
            head = _head(tracked)
            out.append(
                Position(tracked.key, tracked.path, tracked.name, offset, tracked.epoch, head)
            )
        self.dirty = False
        return out

    def commit(self, acked: Override) -> None:
        for key, (epoch, offset) in acked.items():
            tracked = self._files.get(key)
            if tracked is not None and tracked.epoch == epoch:
                tracked.acked = max(tracked.acked, offset)

    def rewind(self) -> None:
        for tracked in self._files.values():
            tracked.rewind()

    def close(self) -> None:
        with self._lock:
            self._close_all()

    def _close_all(self) -> None:
        for tracked in self._files.values():
            tracked.close()
        self._files.clear()


def _head(tracked: TrackedFile) -> Head | None:
    try:
        return tracked.head()
    except OSError:
        return None


def _size(tracked: TrackedFile) -> int:
    try:
        return tracked.size()
    except OSError:
        return tracked.offset


def _age(tracked: TrackedFile) -> tuple[int, str]:
    try:
        return os.fstat(tracked.fd).st_mtime_ns, tracked.path
    except OSError:
        return 0, tracked.path
