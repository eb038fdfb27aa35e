"""One received batch of SQS messages between receive and settle.

While the hub queues its events, a heartbeat keeps the messages hidden (every half visibility
timeout it extends the timeout), so a slow commit does not hand them to another consumer.
Settling stops the heartbeat first, then either deletes the messages (ack: every record is
durably queued) or makes them visible at once (nack, or the source closing under them)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from typing import Any

from structlog.typing import FilteringBoundLogger

from hub.plugins import Supervisor
from hub.plugins.contract import NotConnected
from triggers.object_storage.aws import AwsError, describe

Message = dict[str, Any]
_batches = itertools.count(1)


class InFlight:
    def __init__(
        self,
        client: Any,
        queue_url: str,
        messages: Sequence[Message],
        visibility: int,
        log: FilteringBoundLogger,
        loops: Supervisor,
    ) -> None:
        self._client = client
        self._queue_url = queue_url
        self._messages = messages
        self._visibility = visibility
        self._log = log
        self._loops = loops
        self._beat: asyncio.Task[None] | None = None
        self.extensions = 0

    def __len__(self) -> int:
        return len(self._messages)

    def start(self) -> None:
        # Named per batch: several can be in flight while earlier ones settle.
        self._beat = self._loops.spawn(f"sqs-visibility:{next(_batches)}", self._keep_hidden)

    async def delete(self) -> None:
        """Raises NotConnected when SQS cannot be reached: the messages then come back after
        their timeout and the store drops the duplicates by idempotency key."""
        await self._stop()
        entries = self._entries()
        try:
            response = await asyncio.to_thread(
                self._client.delete_message_batch, QueueUrl=self._queue_url, Entries=entries
            )
        except AwsError as exc:
            raise NotConnected(f"delete_message_batch failed: {describe(exc)}") from None
        self._warn_failed(response, "delete_message")

    async def release(self) -> None:
        """Visible again now, so the next receive redelivers them."""
        await self._stop()
        try:
            await self._set_visibility(0)
        except Exception as exc:  # best effort: they come back after their timeout anyway
            self._log.warning("could not return messages to the queue", error=describe(exc))

    async def _keep_hidden(self) -> None:
        every = self._visibility / 2
        while True:
            await asyncio.sleep(every)
            try:
                await self._set_visibility(self._visibility)
            except Exception as exc:  # the next beat tries again; the batch is not affected
                self._log.warning("could not extend the visibility timeout", error=describe(exc))
            else:
                self.extensions += 1

    async def _set_visibility(self, seconds: int) -> None:
        entries = [{**entry, "VisibilityTimeout": seconds} for entry in self._entries()]
        response = await asyncio.to_thread(
            self._client.change_message_visibility_batch,
            QueueUrl=self._queue_url,
            Entries=entries,
        )
        self._warn_failed(response, "change_message_visibility", visibility=seconds)

    async def _stop(self) -> None:
        beat, self._beat = self._beat, None
        if beat is not None:
            beat.cancel()
            # gather, not a suppressed await: a cancellation of our caller must propagate.
            await asyncio.gather(beat, return_exceptions=True)

    def _entries(self) -> list[dict[str, Any]]:
        return [
            {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
            for i, message in enumerate(self._messages)
        ]

    def _warn_failed(self, response: dict[str, Any], action: str, **fields: Any) -> None:
        # A handle goes stale when a message outlived its timeout and was received again;
        # that delivery settles it, and the store deduplicates the records.
        failed = response.get("Failed") or []
        if failed:
            codes = sorted({str(entry.get("Code")) for entry in failed})
            self._log.warning(
                "sqs refused some messages",
                action=action,
                failed=len(failed),
                codes=codes,
                **fields,
            )


def release_now(client: Any, queue_url: str, messages: Sequence[Message]) -> None:
    """Blocking, for a poll whose reader is gone (see poll.py); best effort."""
    if not messages:
        return
    entries = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
        for i, m in enumerate(messages)
    ]
    with contextlib.suppress(Exception):  # they come back after their timeout anyway
        client.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
