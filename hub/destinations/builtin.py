"""The built-in deliverers: an HTTP POST and an appended line of a JSON-lines file."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp

from hub.config.destinations import FileDestination, FunctionDestination, HttpDestination
from hub.telemetry.context import TRACEPARENT, current_traceparent

_file_locks: dict[str, asyncio.Lock] = {}


async def deliver_http(
    config: HttpDestination, record: bytes, session: aiohttp.ClientSession
) -> str:
    headers = {"content-type": "application/json", **config.headers}
    traceparent = current_traceparent.get()
    if traceparent is not None:
        headers[TRACEPARENT] = traceparent
    timeout = aiohttp.ClientTimeout(total=config.timeout)
    async with session.post(config.url, data=record, headers=headers, timeout=timeout) as resp:
        if not 200 <= resp.status < 300:
            body = (await resp.read())[:300].decode("utf-8", "replace")
            raise RuntimeError(f"HTTP {resp.status} from {config.url}: {body}")
    return f"http {config.url}"


async def deliver_file(
    config: FileDestination, record: bytes, _session: aiohttp.ClientSession
) -> str:
    lock = _file_locks.setdefault(config.path, asyncio.Lock())
    async with lock:  # whole lines only: one append at a time per file
        await asyncio.to_thread(_append_line, config.path, record)
    return f"file {config.path}"


def _append_line(path: str, record: bytes) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, record + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


async def deliver_to_function(
    config: FunctionDestination, _record: bytes, _session: aiohttp.ClientSession
) -> str:
    # Routing turns a function destination into a follow-up invocation, never an outbox row.
    raise RuntimeError(f"function:{config.function} is invoked, not delivered")
