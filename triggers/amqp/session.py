"""One connection's consumer: its inbox and the delivery tags still open on its channel.

Delivery tags belong to the channel that delivered them, so a batch is settled on the session
it came from; when that session is gone the broker has already put the messages back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from hub.plugins.contract import NotConnected


class Session:
    def __init__(
        self, connection: AbstractConnection, channel: AbstractChannel, prefetch: int
    ) -> None:
        self.connection = connection
        self.channel = channel
        # The broker never has more than `prefetch` unacked messages out, so this bound is
        # never reached by deliveries; the spare slot is for the end-of-session marker.
        self.inbox: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue(prefetch + 1)
        self.open_tags: set[int] = set()
        self.lost: str | None = None
        connection.close_callbacks.add(self._closed)
        channel.close_callbacks.add(self._closed)

    async def deliver(self, message: AbstractIncomingMessage) -> None:
        """The consumer callback: keep the message until a read takes it."""
        if message.delivery_tag is not None:
            self.open_tags.add(message.delivery_tag)
        await self.inbox.put(message)

    async def watch_cancel(self) -> None:
        """The broker cancels a consumer whose queue was deleted; the channel stays open, so
        without this the trigger would wait for ever instead of declaring the queue again."""
        underlay = await self.channel.get_underlay_channel()
        callbacks = getattr(underlay, "on_consumer_cancel_callbacks", None)  # aiormq >= 6.9
        if callbacks is not None:
            callbacks.add(self._cancelled)

    def _cancelled(self, _frame: Any) -> None:
        self._end("the broker cancelled the consumer (queue deleted?)")

    def _closed(self, _sender: Any, exc: BaseException | None = None) -> None:
        self._end(f"AMQP channel closed: {exc!r}" if exc else "AMQP channel closed")

    def _end(self, why: str) -> None:
        if self.lost is None:
            self.lost = why
        with contextlib.suppress(asyncio.QueueFull):
            self.inbox.put_nowait(None)

    async def next(self, timeout: float | None = None) -> AbstractIncomingMessage | None:
        """The next message; None when `timeout` passes first; NotConnected once closed
        (messages still held then cannot be acked any more: the broker delivers them again)."""
        self._check()
        message = self.take()
        if message is None:
            if timeout is not None and timeout <= 0:
                return None
            try:
                async with asyncio.timeout(timeout):
                    message = await self.inbox.get()
            except TimeoutError:
                return None
        if message is None:
            self._check()
            raise NotConnected("AMQP session ended")
        return message

    def take(self) -> AbstractIncomingMessage | None:
        # Called once per message read: a check, not a context manager and an exception.
        return None if self.inbox.empty() else self.inbox.get_nowait()

    def _check(self) -> None:
        if self.lost is not None:
            raise NotConnected(self.lost)

    async def ack(self, messages: Sequence[AbstractIncomingMessage]) -> None:
        await self._settle(messages, ack=True)

    async def nack(self, messages: Sequence[AbstractIncomingMessage]) -> None:
        await self._settle(messages, ack=False)

    async def _settle(self, messages: Sequence[AbstractIncomingMessage], *, ack: bool) -> None:
        self._check()
        tags = {m.delivery_tag for m in messages if m.delivery_tag is not None}
        if not tags:
            return
        try:
            if self._contiguous(tags):
                # One frame for the batch: every open tag up to the last is in it.
                last = max(messages, key=lambda m: m.delivery_tag or 0)
                await _settle_one(last, ack=ack, multiple=True)
            else:
                for message in messages:
                    await _settle_one(message, ack=ack, multiple=False)
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
            raise NotConnected(f"could not {'ack' if ack else 'nack'} on AMQP: {exc!r}") from exc
        self.open_tags -= tags

    def _contiguous(self, tags: set[int]) -> bool:
        last = max(tags)
        return all(tag > last for tag in self.open_tags - tags)

    async def close(self) -> None:
        self._closed(None)
        if not self.connection.is_closed:
            await self.connection.close()


async def _settle_one(message: AbstractIncomingMessage, *, ack: bool, multiple: bool) -> None:
    if ack:
        await message.ack(multiple=multiple)
    else:
        await message.nack(multiple=multiple, requeue=True)
