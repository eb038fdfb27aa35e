"""The `mongodb` source: a change stream (PyMongo's async API) read in batches, each handed to
the hub with the resume token of its last change as the checkpoint.

The position only moves on `ack`, after the hub has committed the batch's invocations together
with it. Everything read but not acked is thrown away on a failure (`nack`, a lost connection)
and read again from the committed token, so the server is the buffer and nothing is held in
memory that a crash could lose."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.errors import ConnectionFailure, OperationFailure

from hub.events import Event
from hub.plugins.contract import Batch, EndOfInput, NotConnected, SourceContext
from hub.plugins.events import invalid_reason
from hub.plugins.position import read_again
from triggers.mongodb import parse
from triggers.mongodb import stream as streams
from triggers.mongodb.config import MongoTriggerConfig
from triggers.mongodb.history import History
from triggers.mongodb.position import Position

Change = Mapping[str, Any]
CHANGES_PER_COMMIT = 1000  # changes whose invocations are submitted in one store commit
# A quiet or heavily filtered stream still moves its token on (the server's post-batch token);
# committing it now and then keeps the stored position inside the server's history.
IDLE_CHECKPOINT_EVERY = 60.0


class MongoChangeSource:
    def __init__(self, config: MongoTriggerConfig, context: SourceContext) -> None:
        self._config = config
        self._context = context
        self._log = context.log.bind(namespace=config.namespace)
        self._source = parse.event_source(config.uri, config.namespace)
        self._client: AsyncMongoClient[dict[str, Any]] | None = None
        self._stream: AsyncChangeStream[dict[str, Any]] | None = None
        self._history = History(config, context, self._log)
        self._announce = False  # the stream opened without a stored token: commit where it is
        self._idle_checkpoint_at = 0.0
        self._state = "closed"
        self._opened_with = ""
        self._last_change_at: str | None = None
        self._ended_by: str | None = None
        # Not enqueued: forget what was read past the committed token and read it again.
        self._rewind = read_again(self._log, "changes", self._close_stream)

    # -- the contract ------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._client is None:
            self._client = AsyncMongoClient(
                self._config.uri,
                appname="triggerhub",
                serverSelectionTimeoutMS=int(self._config.connect_timeout * 1000),
                connectTimeoutMS=int(self._config.connect_timeout * 1000),
            )
        try:
            await self._client.admin.command("ping")
        except ConnectionFailure as exc:
            where = parse.public_location(self._config.uri)
            raise NotConnected(f"MongoDB at {where}: {exc}") from exc
        await self._history.load()
        await self._open()

    async def read(self) -> Batch:
        while True:
            if self._state == "invalidated":
                raise EndOfInput(f"the change stream was invalidated ({self._ended_by})")
            if self._stream is None:
                await self._open()
            stream = self._stream
            assert stream is not None
            if self._announce:
                self._announce = False
                return self._position_only(stream)
            changes = await self._collect(stream)
            if changes:
                return self._batch(changes)
            if self._stream is stream and stream.alive:
                return self._position_only(stream)  # an idle read's token is due
            await self._close_stream()  # it ended under us: open it again where we are

    async def close(self) -> None:
        await self._close_stream()
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._state != "invalidated" and not self._history.failed:
            self._state = "closed"

    def detail(self) -> dict[str, Any]:
        position = self._history.position
        return {
            "watching": self._config.namespace,
            "scope": self._config.scope,
            "stream": "history lost" if self._history.failed else self._state,
            "opened_with": self._opened_with or None,
            "ended_by": self._ended_by,
            "last_change_at": self._last_change_at,
            "committed_change_at": position.time if position is not None else None,
            "resume_token": parse.token_text(position.token) if position is not None else None,
        }

    def gaps(self) -> int:
        return self._history.gaps

    # -- reading -----------------------------------------------------------------------------

    async def _collect(self, stream: AsyncChangeStream[dict[str, Any]]) -> list[Change]:
        """Changes for one commit: what the server has already sent, up to CHANGES_PER_COMMIT.
        Returns [] when an idle read's post-batch token is due to be committed."""
        changes: list[Change] = []
        while len(changes) < CHANGES_PER_COMMIT:
            if changes and not streams.buffered(stream):
                break  # waiting on the server is for a batch to do, in the store (`batching`)
            change = await self._next(stream)
            if change is None:
                if not stream.alive or changes:
                    break
                if self._idle_token_due(stream):
                    break
                continue
            changes.append(change)
            if change.get("operationType") == "invalidate":
                break
        return changes

    async def _next(self, stream: AsyncChangeStream[dict[str, Any]]) -> Change | None:
        try:
            return await stream.try_next()
        except ConnectionFailure as exc:
            await self._close_stream()
            raise NotConnected(f"change stream on {self._config.namespace}: {exc}") from exc
        except OperationFailure as exc:
            await self._close_stream()
            if not streams.history_lost(exc):
                raise
            # The cursor fell out of the server's history. What was read so far is still
            # delivered; reopening at the committed token then applies on_history_lost.
            self._log.warning("change stream fell behind the server's history", error=str(exc))
            return None

    def _idle_token_due(self, stream: AsyncChangeStream[dict[str, Any]]) -> bool:
        token = stream.resume_token
        committed = self._history.position
        if token is None or (committed is not None and token == committed.token):
            return False
        return time.monotonic() - self._idle_checkpoint_at >= IDLE_CHECKPOINT_EVERY

    def _batch(self, changes: list[Change]) -> Batch:
        last = changes[-1]
        invalidated = last.get("operationType") == "invalidate"
        position = Position(
            token=last["_id"],
            namespace=self._config.namespace,
            invalidated=invalidated,
            time=parse.change_time(last),
        )
        self._last_change_at = position.time
        events = self._events(changes)
        return Batch(
            events,
            position.checkpoint(self._context.trigger),
            lambda: self._ack(position),
            self._rewind,
        )

    def _events(self, changes: list[Change]) -> list[Event]:
        config = self._config
        events = parse.change_events(changes, self._source, config.operation_types, config.ordering)
        if config.batching is not None and config.ordering == "document":
            # A batch mixes documents: the trigger's batches run one at a time, in change
            # order, which is what keeps each document's changes in order.
            for event in events:
                event.ordering_key = config.namespace
        for event in events:
            if (reason := invalid_reason(event)) is not None:
                self._log.warning("change document could not be parsed", error=reason)
        return events

    def _position_only(self, stream: AsyncChangeStream[dict[str, Any]]) -> Batch:
        """No events, only the stream's current token: commit it so a restart resumes here."""
        self._idle_checkpoint_at = time.monotonic()
        token = stream.resume_token
        if token is None:
            raise NotConnected("the change stream returned no resume token")
        position = Position(token=token, namespace=self._config.namespace)
        checkpoint = position.checkpoint(self._context.trigger)
        return Batch([], checkpoint, lambda: self._ack(position), self._rewind)

    async def _ack(self, position: Position) -> None:
        self._history.position = position
        if not position.invalidated:
            return
        self._ended_by = "invalidate at " + (position.time or "an unknown time")
        await self._close_stream()
        if self._config.on_invalidate == "end":
            self._state = "invalidated"  # the next read ends the trigger
            self._log.warning(
                "change stream invalidated (the watched collection or database was dropped or "
                "renamed); the trigger ends here and resumes after the invalidate when reloaded",
                at=position.time,
            )
        else:
            self._log.warning("change stream invalidated; watching on after it", at=position.time)

    # -- opening -----------------------------------------------------------------------------

    async def _open(self) -> None:
        options, self._opened_with = streams.stream_options(self._config, self._history.position)
        assert self._client is not None
        target = streams.watch_target(self._client, self._config)
        try:
            self._stream = await target.watch(**options)
        except ConnectionFailure as exc:
            raise NotConnected(f"opening the change stream: {exc}") from exc
        except OperationFailure as exc:
            if not streams.history_lost(exc):
                raise
            await self._history.lost_on_open(exc)
            options, self._opened_with = streams.stream_options(self._config, None, now=True)
            self._stream = await target.watch(**options)
        self._state = "open"
        self._announce = self._history.position is None
        self._log.info("change stream open", opened_with=self._opened_with)

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await streams.close_quietly(stream, self._log)


def build(config: MongoTriggerConfig, context: SourceContext) -> MongoChangeSource:
    return MongoChangeSource(config, context)
