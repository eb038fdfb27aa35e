"""`command` target: run an argv (never a shell) with the event JSON on stdin."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import orjson

from hub.config.functions import CommandTarget
from hub.errors import FunctionError
from hub.events import WireEvent
from hub.targets.base import TargetResult
from hub.telemetry.context import ENV_TRACEPARENT, current_traceparent

_STDERR_TAIL = 2000


class Command:
    def __init__(self, config: CommandTarget) -> None:
        self._config = config
        self._env = {**os.environ, **config.env} if config.env else None

    async def __call__(self, event: WireEvent) -> TargetResult:
        proc = await asyncio.create_subprocess_exec(
            *self._config.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self._config.cwd,
            env=self._env_with(current_traceparent.get()),
            start_new_session=True,  # so a stop or timeout kills the whole process group
        )
        try:
            out, err = await proc.communicate(event.json)
        except BaseException:
            _kill_group(proc.pid)
            await proc.wait()
            raise
        if proc.returncode != 0:
            tail = err.decode("utf-8", "replace")[-_STDERR_TAIL:].strip()
            raise FunctionError(
                f"exit code {proc.returncode}: {tail}" if tail else f"exit code {proc.returncode}",
                exit_code=proc.returncode,
            )
        return TargetResult(payload=_decode(out), exit_code=0)

    def _env_with(self, traceparent: str | None) -> dict[str, str] | None:
        if traceparent is None:
            return self._env
        return {**(self._env or os.environ), ENV_TRACEPARENT: traceparent}

    async def close(self) -> None:
        return None


def _decode(out: bytes) -> object:
    if not out.strip():
        return None
    try:
        return orjson.loads(out)
    except orjson.JSONDecodeError:
        return out.decode("utf-8", "replace")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
