"""The SQS source: long-poll the queue the bucket notifies, turn each message into events (one
per wanted record; one `triggerhub.object.invalid` event for a message that is not a
notification), and delete the messages only when the hub has durably queued every one of
their events. Until then a heartbeat keeps them hidden; a nack makes them visible at once.

Every boto3 call is blocking and runs in a thread (see poll.py for the long poll's)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from hub.events import Event
from hub.plugins.contract import BackOff, Batch, NotConnected, SourceContext
from triggers.object_storage.aws import AwsError, describe, region_of, sqs_client
from triggers.object_storage.config import ObjectStorageConfig
from triggers.object_storage.filters import RecordFilter
from triggers.object_storage.inflight import InFlight, Message, release_now
from triggers.object_storage.parse import parse, queue_name, unparsed_event
from triggers.object_storage.poll import abandonable
from triggers.object_storage.records import NotANotification

SHORT_POLL_PAUSE = 1.0  # after an empty receive with wait_time_seconds 0
DEPTH_EVERY = 10.0  # seconds between queue-depth looks for lag()


class SqsSource:
    lag_unit = "messages"

    def __init__(self, config: ObjectStorageConfig, context: SourceContext) -> None:
        assert config.queue_url is not None  # the factory sends webhook-only triggers elsewhere
        self._config = config
        self._queue_url = config.queue_url
        self._accept = RecordFilter.of(config)
        self._visibility = config.visibility_seconds()
        self._log = context.log.bind(queue=queue_name(config.queue_url), region=region_of(config))
        self._loops = context.loops
        self._client: Any = None
        self._held: set[InFlight] = set()
        self._depth: int | None = None
        self._depth_at = -DEPTH_EVERY

    async def connect(self) -> None:
        try:
            client = await asyncio.to_thread(sqs_client, self._config)
        except AwsError as exc:
            raise NotConnected(f"cannot create the SQS client: {describe(exc)}") from None
        try:
            await self._look_at_depth(client)
        except AwsError as exc:
            await asyncio.to_thread(client.close)
            raise NotConnected(f"cannot reach the queue: {describe(exc)}") from None
        self._client = client
        self._log.info("sqs queue connected", messages=self._depth)

    async def read(self) -> Batch:
        client = self._client
        if client is None:
            raise NotConnected("not connected")
        await self._refresh_depth(client)
        messages = await self._receive(client)
        if not messages:
            pause = 0.0 if self._config.wait_time_seconds else SHORT_POLL_PAUSE
            raise BackOff(pause, "no messages")
        self._log.debug("sqs messages received", messages=len(messages))
        held = InFlight(client, self._queue_url, messages, self._visibility, self._log, self._loops)
        held.start()
        self._held.add(held)
        return Batch(
            [event for message in messages for event in self._events(message)],
            on_ack=partial(self._ack, held),
            on_nack=partial(self._nack, held),
        )

    async def _receive(self, client: Any) -> list[Message]:
        request = {
            "QueueUrl": self._queue_url,
            "MaxNumberOfMessages": self._config.read_size,
            "WaitTimeSeconds": self._config.wait_time_seconds,
            "VisibilityTimeout": self._visibility,
        }

        def receive() -> list[Message]:
            messages: list[Message] = client.receive_message(**request).get("Messages", [])
            return messages

        try:
            return await abandonable(receive, partial(release_now, client, self._queue_url))
        except AwsError as exc:
            raise NotConnected(f"receive_message failed: {describe(exc)}") from None

    def _events(self, message: Message) -> Sequence[Event]:
        body: str = message.get("Body", "")
        message_id: str = message.get("MessageId", "")
        log = self._log.bind(message_id=message_id)
        try:
            parsed = parse(body, self._accept)
        except NotANotification as exc:
            log.warning("sqs message is not an object-storage notification", reason=str(exc))
            return [unparsed_event(body, str(exc), self._queue_url, message_id)]
        except Exception as exc:  # a parser bug must not stall the queue or drop the message
            log.exception("sqs message could not be parsed", error=repr(exc))
            reason = f"could not be parsed: {exc!r}"
            return [unparsed_event(body, reason, self._queue_url, message_id)]
        if parsed.skipped is not None:
            log.info("control message skipped", why=parsed.skipped)
        elif parsed.filtered:
            log.debug("object records filtered out", filtered=parsed.filtered)
        return parsed.events

    async def _ack(self, held: InFlight) -> None:
        self._held.discard(held)
        await held.delete()
        self._log.debug("sqs messages deleted", messages=len(held))

    async def _nack(self, held: InFlight, reason: str) -> None:
        self._held.discard(held)
        await held.release()
        self._log.debug("sqs messages returned to the queue", reason=reason)

    @property
    def in_flight(self) -> tuple[InFlight, ...]:
        """Batches read and not yet settled (the hub is queueing their events)."""
        return tuple(self._held)

    def lag(self) -> float | None:
        """Messages waiting in the queue, as of the last look (at most DEPTH_EVERY old)."""
        return None if self._depth is None else float(self._depth)

    async def _refresh_depth(self, client: Any) -> None:
        if time.monotonic() - self._depth_at < DEPTH_EVERY:
            return
        try:
            await self._look_at_depth(client)
        except AwsError:
            self._depth_at = time.monotonic()  # not worth a reconnect: receive will tell

    async def _look_at_depth(self, client: Any) -> None:
        response = await asyncio.to_thread(
            client.get_queue_attributes,
            QueueUrl=self._queue_url,
            AttributeNames=["ApproximateNumberOfMessages"],
        )
        self._depth = int(response.get("Attributes", {}).get("ApproximateNumberOfMessages", 0))
        self._depth_at = time.monotonic()

    async def close(self) -> None:
        client, self._client = self._client, None
        held, self._held = list(self._held), set()
        # Unsettled batches go back now rather than after their timeout.
        for batch in held:
            await batch.release()
        if client is not None:
            await asyncio.to_thread(client.close)
