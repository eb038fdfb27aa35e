"""The `amqp` source: consume a queue with a prefetch window, hand out batches, and settle each
batch on its channel only when the hub says so (ack after the durable commit, nack with
requeue when the commit failed). Connection loss surfaces as NotConnected: the hub closes this
source and connects it again with backoff, and connect() declares the topology afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from hub import clock
from hub.events import Event, WireEvent
from hub.plugins.contract import Batch, NotConnected, SourceContext
from triggers.amqp.config import AmqpTriggerConfig
from triggers.amqp.convert import key_of, to_raw
from triggers.amqp.ledger import NackLedger
from triggers.amqp.parse import ParseSpec, RawMessage, unparsed_event, wire
from triggers.amqp.session import Session
from triggers.amqp.topology import declare
from triggers.amqp.urls import broker_base, mask_url, scrub

DEPTH_EVERY = 5.0  # seconds between queue-depth refreshes for lag()


class AmqpSource:
    lag_unit = "messages"

    def __init__(self, config: AmqpTriggerConfig, context: SourceContext) -> None:
        self._config = config
        self._trigger = context.trigger
        self._queue_name = config.queue_name(context.trigger)
        self._spec = ParseSpec(
            broker=broker_base(config.url),
            queue=self._queue_name,
            max_payload_bytes=config.max_payload_bytes,
            max_deliveries=config.max_deliveries,
            key_from_content=config.key_from_content,
        )
        self._log = context.log.bind(url=mask_url(config.url), queue=self._queue_name)
        self._ledger = NackLedger()
        self._session: Session | None = None
        self._queue: AbstractQueue | None = None
        self._depth: int | None = None
        self._depth_at = 0.0

    async def connect(self) -> None:
        try:
            connection = await aio_pika.connect(
                self._config.url,
                timeout=self._config.connect_timeout,
                client_properties={"connection_name": f"triggerhub trigger {self._trigger}"},
            )
        except Exception as exc:
            # Raised without the chain: a client error must not carry the URL into a log.
            raise NotConnected(scrub(f"cannot connect: {exc!r}", self._config.url)) from None
        try:
            channel = await connection.channel(publisher_confirms=False)
            await channel.set_qos(prefetch_count=self._config.prefetch)
            queue = await declare(channel, self._config, self._queue_name)
            session = Session(connection, channel, self._config.prefetch)
            await session.watch_cancel()
            await queue.consume(session.deliver)
        except BaseException:
            await connection.close()
            raise
        self._session, self._queue = session, queue
        self._note_depth(getattr(queue.declaration_result, "message_count", None))
        self._log.info("amqp queue consumed", ready=self._depth, prefetch=self._config.prefetch)

    async def read(self) -> Batch:
        session = self._session
        if session is None:
            raise NotConnected("not connected")
        await self._refresh_depth()
        if session.inbox.empty() and self._depth is not None:
            # Waiting with nothing unacked: the broker would be pushing anything it had ready.
            self._depth = 0
        first = await session.next()
        assert first is not None  # next() without a timeout returns a message or raises
        messages = [first]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._config.read_window
        while len(messages) < self._config.read_size:
            message = await session.next(deadline - loop.time())
            if message is None:
                break
            messages.append(message)
        return Batch(
            self._events(messages),
            on_ack=partial(self._ack, session, messages),
            on_nack=partial(self._nack, session, messages),
        )

    def _events(self, messages: Sequence[AbstractIncomingMessage]) -> list[Event | WireEvent]:
        received_at = clock.now()
        return [self._wire(message, received_at) for message in messages]

    def _wire(self, message: AbstractIncomingMessage, received_at: float) -> Event | WireEvent:
        try:
            return wire(to_raw(message, self._ledger, received_at), self._spec)
        except Exception as exc:
            self._log.exception("amqp message could not be parsed", error=repr(exc))
            raw = RawMessage(
                body=message.body,
                exchange=message.exchange or "",
                routing_key=message.routing_key or "",
                received_at=received_at,
                message_id=message.message_id,
            )
            return unparsed_event(raw, self._spec, f"could not be parsed: {exc!r}")

    async def _ack(self, session: Session, messages: Sequence[AbstractIncomingMessage]) -> None:
        await session.ack(messages)
        if len(self._ledger):
            for message in messages:
                self._ledger.settled(key_of(message))

    async def _nack(
        self, session: Session, messages: Sequence[AbstractIncomingMessage], reason: str
    ) -> None:
        for message in messages:
            self._ledger.nacked(key_of(message))
        await session.nack(messages)
        self._log.debug("amqp batch returned to the queue", messages=len(messages), reason=reason)

    def lag(self) -> float | None:
        """Messages ready in the queue (as of the last look, at most DEPTH_EVERY old) plus
        those delivered here and not yet read."""
        if self._depth is None:
            return None
        held = self._session.inbox.qsize() if self._session is not None else 0
        return float(self._depth + held)

    async def _refresh_depth(self) -> None:
        queue = self._queue
        if queue is None or asyncio.get_running_loop().time() - self._depth_at < DEPTH_EVERY:
            return
        # A failed look is not worth a reconnect: a dead channel shows up in next() anyway.
        try:
            async with asyncio.timeout(self._config.connect_timeout):
                result = await queue.declare()
        except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError, TimeoutError):
            self._depth_at = asyncio.get_running_loop().time()
            return
        self._note_depth(getattr(result, "message_count", None))

    def _note_depth(self, count: int | None) -> None:
        self._depth = count
        self._depth_at = asyncio.get_running_loop().time()

    async def close(self) -> None:
        session, self._session, self._queue = self._session, None, None
        if session is not None:
            await session.close()


def build(config: AmqpTriggerConfig, context: SourceContext) -> AmqpSource:
    return AmqpSource(config, context)
