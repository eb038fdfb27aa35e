"""The CloudWatch Logs source: `filter_log_events` page by page from a durable cursor. Each page
is one batch whose checkpoint is the cursor after it, so the position moves only with the
invocations of the events before it. boto3 calls run in a worker thread.

A limit of the service, not of this code: an event ingested with a timestamp older than the
cursor (a delayed writer) is not returned by a query starting at the cursor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from hub.events import Event
from hub.plugins.aws import aws_session
from hub.plugins.contract import BackOff, Batch, SourceContext
from hub.plugins.position import Checkpoint, read_again
from triggers.log_stream.cloudwatch.cursor import Cursor
from triggers.log_stream.cloudwatch.parse import Message, message_event, messages_event
from triggers.log_stream.config import CloudWatchLogs, LogStreamConfig
from triggers.log_stream.decode import decode
from triggers.log_stream.files import checkpoint_name
from triggers.log_stream.match import compile_match

PAGE_LIMIT = 1000  # events per filter_log_events page: one batch, one commit


class CloudWatchSource:
    def __init__(self, config: LogStreamConfig, context: SourceContext) -> None:
        assert config.cloudwatch is not None
        self._config = config
        self._cw: CloudWatchLogs = config.cloudwatch
        self._context = context
        self._log = context.log.bind(log_group=self._cw.log_group)
        self._name = checkpoint_name(context.trigger)
        self._jsonl = config.format == "jsonl"
        self._matches = compile_match(config.match)
        self._client: Any = None
        self._source = f"cloudwatch:{self._cw.log_group}"
        self._cursor = Cursor(0)
        self._announce = False  # the starting cursor is not stored yet
        self._query: tuple[int, str] | None = None  # (start, next token) of an unfinished query
        self._idle_until = 0.0
        # Not enqueued: ask again from the committed cursor, and what was not enqueued comes back.
        self._nack = read_again(self._log, "log events", self._forget_query)

    async def connect(self) -> None:
        self._client = await asyncio.to_thread(self._make_client)
        self._query, self._idle_until = None, 0.0
        stored = await self._context.get_checkpoint(self._name)
        self._cursor, self._announce = self._initial(stored), stored is None
        self._log.info("reading log group", cursor=self._cursor.timestamp)

    async def read(self) -> Batch:
        if self._announce:
            cursor = self._cursor
            return Batch([], self._checkpoint(cursor), self._announced, self._nothing)
        wait = self._idle_until - time.monotonic()
        if wait > 0:
            raise BackOff(wait)
        start, token = self._query or (self._cursor.timestamp, None)
        page = await asyncio.to_thread(self._page, start, token)
        raw = sorted(page.get("events", []), key=lambda e: (e["timestamp"], e["eventId"]))
        fresh = [e for e in raw if self._cursor.is_new(e)]
        cursor = self._cursor.advance(fresh)
        fresh = [e for e in fresh if self._in_streams(e)]
        following = page.get("nextToken")
        next_query = (start, following) if following else None
        return Batch(
            self._events(fresh),
            self._checkpoint(cursor),
            lambda: self._ack(cursor, next_query),
            self._nack,
        )

    async def close(self) -> None:
        self._client = None

    def _make_client(self) -> Any:
        return aws_session(self._cw).client("logs", endpoint_url=self._cw.endpoint_url)

    def _initial(self, stored: str | None) -> Cursor:
        if stored is not None:
            try:
                return Cursor.decode(stored)
            except ValueError as exc:
                self._log.error("ignoring unreadable cursor", error=str(exc))
        start = int(time.time() * 1000) if self._config.from_ == "end" else 0
        return Cursor(start)

    def _page(self, start: int, token: str | None) -> Mapping[str, Any]:
        params: dict[str, Any] = {
            "logGroupName": self._cw.log_group,
            "startTime": start,
            "limit": PAGE_LIMIT,
        }
        if self._cw.stream_prefix is not None:
            params["logStreamNamePrefix"] = self._cw.stream_prefix
        if self._cw.filter_pattern is not None:
            params["filterPattern"] = self._cw.filter_pattern
        if token is not None:
            params["nextToken"] = token
        result: Mapping[str, Any] = self._client.filter_log_events(**params)
        return result

    def _in_streams(self, event: Mapping[str, Any]) -> bool:
        # The service applies the prefix; checked again because emulators (moto) ignore it.
        prefix = self._cw.stream_prefix
        return prefix is None or str(event.get("logStreamName", "")).startswith(prefix)

    def _events(self, raw: Sequence[Mapping[str, Any]]) -> list[Event]:
        messages = [
            Message(e, decode(str(e.get("message", "")).encode(), self._jsonl)) for e in raw
        ]
        kept = [m for m in messages if self._matches(m.decoded)]
        size = self._config.batch_size
        group = self._cw.log_group
        if self._config.batch is None:
            return [message_event(self._source, group, m, self._jsonl) for m in kept]
        return [
            messages_event(self._source, group, chunk, self._jsonl)
            for chunk in _chunks_by_stream(kept, size)
        ]

    def _checkpoint(self, cursor: Cursor) -> Checkpoint:
        return Checkpoint(self._name, cursor.encode())

    async def _ack(self, cursor: Cursor, next_query: tuple[int, str] | None) -> None:
        self._cursor, self._query = cursor, next_query
        if next_query is None:  # caught up: wait before asking again
            self._idle_until = time.monotonic() + self._cw.interval

    def _forget_query(self) -> None:
        self._query = None

    async def _announced(self) -> None:
        self._announce = False

    async def _nothing(self, _reason: str) -> None:
        return None


def _chunks_by_stream(messages: Sequence[Message], size: int) -> list[list[Message]]:
    chunks: list[list[Message]] = []
    for message in messages:
        stream = message.raw.get("logStreamName")
        if chunks and len(chunks[-1]) < size and chunks[-1][0].raw.get("logStreamName") == stream:
            chunks[-1].append(message)
        else:
            chunks.append([message])
    return chunks
