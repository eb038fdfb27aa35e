"""The CloudTrail source: receive from the SQS queue EventBridge feeds, and delete the messages
only when the hub acks the batch, i.e. after their invocations are durably queued. A nack
makes them visible again at once. boto3 calls run in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from hub.plugins.aws import aws_session
from hub.plugins.contract import BackOff, Batch, SourceContext
from triggers.audit.cloudtrail.parse import cloudtrail_event, read_message, wanted_calls
from triggers.audit.config import AuditConfig

WAIT_TIME = 5.0  # long poll; short enough that a stop does not wait long for the worker thread
MAX_MESSAGES = 10


class CloudTrailSource:
    def __init__(self, config: AuditConfig, context: SourceContext) -> None:
        assert config.queue_url is not None
        self._config = config
        self._queue_url = config.queue_url
        self._log = context.log.bind(queue=config.queue_url)
        self._wanted = wanted_calls(
            config.event_sources, config.event_names, config.users, config.read_only
        )
        self._wait = int(WAIT_TIME if config.wait_time is None else config.wait_time)
        self._client: Any = None

    async def connect(self) -> None:
        self._client = await asyncio.to_thread(self._make_client)

    async def read(self) -> Batch:
        received = await asyncio.to_thread(self._receive)
        if not received:
            raise BackOff(0.0)
        messages = [read_message(m["MessageId"], m.get("Body", "")) for m in received]
        for message in messages:
            if message.problem is not None:
                self._log.warning(
                    "not a CloudTrail event", message=message.message_id, reason=message.problem
                )
        events = [cloudtrail_event(m) for m in messages if self._wanted(m)]
        handles = [m["ReceiptHandle"] for m in received]
        return Batch(
            events, None, lambda: self._delete(handles), lambda r: self._release(handles, r)
        )

    async def close(self) -> None:
        self._client = None

    def _make_client(self) -> Any:
        return aws_session(self._config).client("sqs", endpoint_url=self._config.endpoint_url)

    def _receive(self) -> Sequence[Mapping[str, Any]]:
        params: dict[str, Any] = {
            "QueueUrl": self._queue_url,
            "MaxNumberOfMessages": MAX_MESSAGES,
            "WaitTimeSeconds": self._wait,
        }
        if self._config.visibility_timeout is not None:
            params["VisibilityTimeout"] = int(self._config.visibility_timeout)
        messages: Sequence[Mapping[str, Any]] = self._client.receive_message(**params).get(
            "Messages", []
        )
        return messages

    async def _delete(self, handles: list[str]) -> None:
        entries = [{"Id": str(n), "ReceiptHandle": h} for n, h in enumerate(handles)]
        result = await asyncio.to_thread(
            self._client.delete_message_batch, QueueUrl=self._queue_url, Entries=entries
        )
        if failed := result.get("Failed"):
            # Queued already: when they come back, their idempotency keys drop them.
            self._log.warning("some messages were not deleted", failed=failed)

    async def _release(self, handles: list[str], reason: str) -> None:
        self._log.warning("audit events not enqueued; returning the messages", reason=reason)
        entries = [
            {"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": 0}
            for n, h in enumerate(handles)
        ]
        await asyncio.to_thread(
            self._client.change_message_visibility_batch,
            QueueUrl=self._queue_url,
            Entries=entries,
        )
