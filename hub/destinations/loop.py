"""The outbox loop: delivers destination records at least once, with capped retries, and
records a destination that could not be reached on the invocation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import structlog

from hub import clock
from hub.alarm import Alarm
from hub.config.functions import Backoff
from hub.destinations.kinds import send_record
from hub.errors import StoreError
from hub.hooks import Hooks
from hub.redact import recorded_text
from hub.retry import compute_backoff
from hub.store.base import Delivery, InvocationStore

if TYPE_CHECKING:
    from hub.telemetry.tracing import Telemetry

log = structlog.get_logger("hub.destinations")
BATCH = 64
LEASE = 120.0
BACKOFF = Backoff(initial=1.0, multiplier=2.0, max=600.0, jitter=True)


class DeliveryLoop:
    def __init__(
        self,
        store: InvocationStore,
        session: aiohttp.ClientSession,
        owner: str,
        max_attempts: int,
        hooks: Hooks | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.store = store
        self.telemetry = telemetry
        self.hooks = hooks or Hooks()
        self.owner = owner
        self.session = session
        self.max_attempts = max_attempts
        self.alarm = Alarm()

    async def run(self) -> None:
        failures = 0
        while True:
            self.alarm.arm()
            now = clock.now()
            try:
                batch = await self.store.lease_deliveries(self.owner, now, BATCH, now + LEASE)
            except StoreError as exc:  # waited out, as the dispatcher does
                failures += 1
                if failures == 1 or failures % 10 == 0:
                    log.warning("leasing deliveries failed; waiting", error=str(exc))
                await self.store.health.backoff(failures)
                continue
            failures = 0
            await asyncio.gather(*(self._deliver(d) for d in batch))
            if len(batch) < BATCH:
                await self.alarm.sleep_until(await self.store.next_delivery())

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            send = send_record(delivery.destination, delivery.record, self.session)
            if self.telemetry is not None:
                send = self.telemetry.delivering(delivery, send)
            detail = await send
        except Exception as exc:
            attempts = delivery.attempts + 1
            now = clock.now()
            # Recorded on the invocation: a destination URL's password must not go along.
            error = recorded_text(f"{type(exc).__name__}: {exc}")
            next_at = (
                None if attempts >= self.max_attempts else now + compute_backoff(attempts, BACKOFF)
            )
            log.warning(
                "destination delivery failed",
                invocation=delivery.invocation_id,
                slot=delivery.slot,
                attempt=attempts,
                error=error,
                gave_up=next_at is None,
            )
            await self.store.health.until_written(
                "delivery failed",
                lambda: self.store.delivery_failed(delivery, now, error, next_at),
                invocation=delivery.invocation_id,
            )
            self.hooks.delivery_failed(
                delivery.record, delivery.slot, _destination_type(delivery), next_at is None
            )
            return
        # Written until the store takes it: dropped, the record would be delivered again.
        done_at = clock.now()
        await self.store.health.until_written(
            "delivered",
            lambda: self.store.delivered(
                delivery, done_at, recorded_text(f"{delivery.slot} → {detail}")
            ),
            invocation=delivery.invocation_id,
        )
        if delivery.slot == "on_failure" and self.hooks.on_dead_lettered:
            context = orjson.loads(delivery.record).get("request_context", {})
            where = shown_destination(orjson.loads(delivery.destination))
            self.hooks.dead_lettered(
                delivery.invocation_id,
                str(context.get("function")),
                str(context.get("condition")),
                where,
            )


def shown_destination(spec: dict[str, Any]) -> str:
    """Where a destination is, for a log line: its type and file path or URL without user
    info or query (either may hold a credential)."""
    kind = str(spec.get("type"))
    if "url" in spec:
        url = urlsplit(str(spec["url"]))
        return f"{kind}:{url.scheme}://{url.hostname}{f':{url.port}' if url.port else ''}{url.path}"
    if "path" in spec:
        return f"{kind}:{spec['path']}"
    if "topic" in spec:
        return f"{kind}:{spec['topic']}"
    if "exchange" in spec:
        return f"{kind}:{spec['exchange']}"
    return kind


def _destination_type(delivery: Delivery) -> str:
    try:
        kind = orjson.loads(delivery.destination).get("type")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return kind if isinstance(kind, str) else ""
