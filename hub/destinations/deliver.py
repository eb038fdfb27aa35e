"""Delivering one destination record: one small deliverer per destination type.

Kafka and AMQP destinations add themselves to DELIVERERS when their plugins land."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

Deliverer = Callable[[dict[str, Any], bytes, aiohttp.ClientSession], Awaitable[str]]
_file_locks: dict[str, asyncio.Lock] = {}


async def deliver_http(spec: dict[str, Any], record: bytes, session: aiohttp.ClientSession) -> str:
    headers = {"content-type": "application/json", **spec.get("headers", {})}
    timeout = aiohttp.ClientTimeout(total=spec.get("timeout", 10.0))
    async with session.post(spec["url"], data=record, headers=headers, timeout=timeout) as resp:
        if not 200 <= resp.status < 300:
            body = (await resp.read())[:300].decode("utf-8", "replace")
            raise RuntimeError(f"HTTP {resp.status} from {spec['url']}: {body}")
    return f"http {spec['url']}"


async def deliver_file(spec: dict[str, Any], record: bytes, _session: aiohttp.ClientSession) -> str:
    path = spec["path"]
    lock = _file_locks.setdefault(path, asyncio.Lock())
    async with lock:  # whole lines only: one append at a time per file
        await asyncio.to_thread(_append_line, path, record)
    return f"file {spec['path']}"


def _append_line(path: str, record: bytes) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, record + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


DELIVERERS: dict[str, Deliverer] = {"http": deliver_http, "file": deliver_file}


async def deliver(destination: bytes, record: bytes, session: aiohttp.ClientSession) -> str:
    spec = orjson.loads(destination)
    kind = str(spec.get("type", ""))
    if kind not in DELIVERERS and kind.isidentifier():
        # Plugin destinations register when their trigger package is imported; an embedded
        # Hub may not have imported it yet.
        with contextlib.suppress(ImportError):
            importlib.import_module(f"triggers.{kind}")
    deliverer = DELIVERERS.get(kind)
    if deliverer is None:
        raise RuntimeError(f"no deliverer for destination type {spec.get('type')!r}")
    return await deliverer(spec, record, session)
